"""DCGAN G and D: the resolution is a parameter."""

import pytest
import torch

from ganlab.nets import DCGANDiscriminator, DCGANGenerator


@pytest.mark.parametrize("res", [8, 16, 32, 64])
def test_dcgan_resolution_is_a_parameter(res):
    G = DCGANGenerator(16, 3, res, width=16)
    D = DCGANDiscriminator(3, res, width=16)
    x = G(torch.randn(2, 16))
    assert x.shape == (2, 3, res, res) and x.abs().max() <= 1
    assert D(x).shape == (2, 1)


def test_dcgan_rejects_bad_resolution():
    with pytest.raises(ValueError):
        DCGANGenerator(8, 1, 12)
