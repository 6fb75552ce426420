import pytest
import torch
from torch import nn

from ganlab import GanlabError
from ganlab.config import ModelConfig
from ganlab.nets import DCGANDiscriminator, DCGANGenerator, build_nets, init_weights


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


def test_build_nets_picks_architecture_and_spectral_norm():
    G, D = build_nets(ModelConfig(spectral_norm=True), (1, 8, 8), "image")
    assert isinstance(G, DCGANGenerator) and G.z_dim == 32
    assert any("parametrizations" in n for n, _ in D.named_parameters())
    # spectral norm bounds each layer's largest singular value by ~1
    D.train()
    for _ in range(20):
        D(torch.randn(4, 1, 8, 8))
    for m in D.modules():
        if isinstance(m, nn.Linear):
            assert torch.linalg.matrix_norm(m.weight, ord=2) < 1.05
    G, D = build_nets(ModelConfig(), (2,), "points")
    assert D(G(torch.randn(5, 32))).shape == (5, 1)
    _, D = build_nets(ModelConfig(), (2,), "points", d_output="vector")
    assert D(torch.randn(3, 2)).shape == (3, 16)
    with pytest.raises(GanlabError, match="model.arch"):
        build_nets(ModelConfig(arch="resnett"), (2,), "points")


@pytest.mark.parametrize("scheme", ["normal", "xavier", "orthogonal"])
def test_init_schemes(scheme):
    lin = init_weights(nn.Linear(64, 64), scheme)
    w = lin.weight.detach()
    if scheme == "normal":
        assert abs(w.std().item() - 0.02) < 0.003
    elif scheme == "orthogonal":
        torch.testing.assert_close(w @ w.T, torch.eye(64), atol=1e-5, rtol=0)
    else:
        bound = (6 / 128) ** 0.5
        assert w.abs().max() <= bound
    assert lin.bias.abs().max() == 0
