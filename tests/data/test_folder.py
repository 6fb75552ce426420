"""Folders of PNG / JPEG images: nested folders, mixed sizes and modes, resizing, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab import GanlabError
from ganlab.config import DataConfig
from ganlab.data import load_dataset


def test_image_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "imgs"
    (root / "a").mkdir(parents=True)
    (root / "b" / "c").mkdir(parents=True)
    for i in range(12):  # mixed sizes, modes and formats in nested folders
        h, w = (40, 60) if i % 2 else (64, 64)
        arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        sub = root / ("a" if i < 6 else "b/c")
        img = Image.fromarray(arr) if i % 3 else Image.fromarray(arr[..., 0], mode="L")
        img.save(sub / (f"{i:02d}.png" if i % 4 else f"{i:02d}.jpg"))
    (root / "notes.txt").write_text("not an image")
    ds = load_dataset(DataConfig(name="folder", path=str(root), resolution=16))
    assert ds.shape == (3, 16, 16) and len(ds.train) + len(ds.val) + len(ds.test) == 12
    assert (len(ds.val), len(ds.test)) == (1, 1) and ds.train.min() >= -1 and ds.train.max() <= 1
    again = load_dataset(DataConfig(name="folder", path=str(root), resolution=16))
    assert torch.equal(again.train, ds.train)
    # a 64×64 image shrunk ×4 is its 4×4 box average
    one = tmp_path / "one"
    one.mkdir()
    arr = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    for k in range(3):
        Image.fromarray(arr).save(one / f"{k}.png")
    ds1 = load_dataset(DataConfig(name="folder", path=str(one), resolution=16, val_size=0))
    box = arr.transpose(2, 0, 1).reshape(3, 16, 4, 16, 4).astype(np.float64).mean((2, 4))
    torch.testing.assert_close(ds1.train[0], torch.from_numpy(box / 127.5 - 1).float(), rtol=0, atol=1.01 / 127.5)
    # the default resolution is 64 and upscaling works
    assert load_dataset(DataConfig(name="folder", path=str(one), limit=2)).shape == (3, 64, 64)


def test_image_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("x")
    with pytest.raises(GanlabError, match="no PNG, JPEG"):
        load_dataset(DataConfig(name="folder", path=str(empty)))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(GanlabError, match="cannot decode .*broken.png") as err:
        load_dataset(DataConfig(name="folder", path=str(bad)))
    assert "\n" not in str(err.value)
    with pytest.raises(GanlabError, match="not a folder"):
        load_dataset(DataConfig(name="folder", path=str(bad / "broken.png")))
    with pytest.raises(GanlabError, match="does not exist"):
        load_dataset(DataConfig(name="folder", path=str(tmp_path / "nope")))
    with pytest.raises(GanlabError, match="data.limit"):
        load_dataset(DataConfig(name="folder", path=str(bad), limit=0))
