"""build_nets: the architecture for the data kind and D's output, spectral norm, one-line errors."""

import pytest
import torch
from torch import nn

from ganlab import GanlabError
from ganlab.config import ModelConfig
from ganlab.nets import DCGANGenerator, build_nets


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
