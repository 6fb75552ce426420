"""What the image formats share: area resizing."""

from __future__ import annotations

import numpy as np

from ganlab.data.images import resize_images


def test_resize_images_is_area_average():
    x = np.random.default_rng(0).integers(0, 256, (3, 2, 8, 8), dtype=np.uint8)
    out = resize_images(x, 4)
    np.testing.assert_array_equal(out, np.round(x.reshape(3, 2, 4, 2, 4, 2).mean((3, 5))).astype(np.uint8))
    assert resize_images(x, 8) is x and resize_images(x, 16).shape == (3, 2, 16, 16)
