"""SN-GAN ResNet G and D: block plans per resolution, shapes, residual structure, sizes, build wiring."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab import GanlabError
from ganlab.config import ModelConfig
from ganlab.nets import DCGANDiscriminator, DCGANGenerator, ResNetDiscriminator, ResNetGenerator, build_nets
from ganlab.nets.resnet import DBlock, GBlock, resnet_plan


def _count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_plans_follow_the_papers():
    # SN-GAN CIFAR-10 (Table 4): 4×4 start, 3 up-blocks; D: 2 down + 2 plain blocks, constant width
    assert resnet_plan(32) == (4, [1, 1, 1, 1], [1, 1], [1, 1])
    # SN-GAN STL-10 (Table 5): 6×6 start, 512 → 256 → 128 → 64 with w = 64; D 64 … 512 down to 3×3, then 1024
    assert resnet_plan(48) == (6, [8, 4, 2, 1], [1, 2, 4, 8], [16])
    assert resnet_plan(64) == (4, [16, 8, 4, 2, 1], [1, 2, 4, 8], [16])
    # SN-GAN ImageNet 128² (projection code layout): 16w twice, then halving; D ends with two 16w blocks
    assert resnet_plan(128) == (4, [16, 16, 8, 4, 2, 1], [1, 2, 4, 8, 16], [16])
    for bad in (12, 40, 0, 100):
        with pytest.raises(ValueError):
            resnet_plan(bad)


@pytest.mark.parametrize("res", [8, 32, 48, 64])
def test_shapes_and_range(res):
    G = ResNetGenerator(16, 3, res, width=8)
    D = ResNetDiscriminator(3, res, width=8, out_dim=1)
    x = G(torch.randn(3, 16))
    assert x.shape == (3, 3, res, res) and x.abs().max() <= 1
    assert D(x).shape == (3, 1)
    start = resnet_plan(res)[0]
    assert G.fc(torch.randn(2, 16)).shape[-1] == start
    # the D feature map ends at 8×8 (32²), 3×3 (48²) or 4×4
    h = D.blocks(x)
    assert h.shape[-1] == {8: 4, 32: 8, 48: 3, 64: 4}[res]


def test_sphere_head_and_sum_pooling():
    D = ResNetDiscriminator(3, 32, width=8, out_dim=1024)
    x = torch.randn(2, 3, 32, 32)
    assert D(x).shape == (2, 1024)
    # the head reads the global *sum* of ReLU features (SN-GAN), not their mean
    h = torch.relu(D.blocks(x)).sum(dim=(2, 3))
    torch.testing.assert_close(D(x), D.linear(h))


def test_residual_structure():
    torch.manual_seed(0)
    g = GBlock(4, 6)
    for conv in (g.conv1, g.conv2):  # with the residual branch silenced, only the upsampled 1×1 shortcut remains
        nn.init.zeros_(conv.weight)
        nn.init.zeros_(conv.bias)
    x = torch.randn(2, 4, 5, 5)
    up = x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # nearest 2×
    torch.testing.assert_close(g(x), g.shortcut(up))
    plain = DBlock(6, 6, down=False)
    assert plain.shortcut is None
    nn.init.zeros_(plain.conv2.weight)
    nn.init.zeros_(plain.conv2.bias)
    torch.testing.assert_close(plain(x.repeat(1, 2, 1, 1)[:, :6]), x.repeat(1, 2, 1, 1)[:, :6])  # identity shortcut
    first = DBlock(3, 6, down=True, first=True)
    nn.init.zeros_(first.conv2.weight)
    nn.init.zeros_(first.conv2.bias)
    img = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(first(img), first.shortcut(nn.functional.avg_pool2d(img, 2)))  # pool, then 1×1


def test_parameter_counts_at_32_match_the_closed_form():
    # SN-GAN CIFAR-10 sizes: G 256 channels, D 128 channels, z 128 (biases everywhere, BN affine)
    G = ResNetGenerator(128, 3, 32, width=256)
    D = ResNetDiscriminator(3, 32, width=128)
    conv = lambda i, o, k: i * o * k * k + o  # noqa: E731
    g_block = 2 * 256 + conv(256, 256, 3) + 2 * 256 + conv(256, 256, 3) + conv(256, 256, 1)
    g = (128 * 4096 + 4096) + 3 * g_block + 2 * 256 + conv(256, 3, 3)
    d = (conv(3, 128, 3) + conv(128, 128, 3) + conv(3, 128, 1)) + (2 * conv(128, 128, 3) + conv(128, 128, 1))
    d += 2 * 2 * conv(128, 128, 3) + 129
    assert (_count(G), _count(D)) == (g, d) == (4_276_739, 1_053_825)


def test_build_nets_resnet_with_spectral_norm_and_g_width():
    cfg = ModelConfig(arch="resnet", width=8, g_width=16, z_dim=16, spectral_norm=True)
    G, D = build_nets(cfg, (3, 32, 32), "image")
    assert isinstance(G, ResNetGenerator) and isinstance(D, ResNetDiscriminator)
    assert G.blocks[0].conv1.out_channels == 16 and D.blocks[0].conv1.out_channels == 8
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)  # shortcuts included
    assert not any(hasattr(m, "parametrizations") for m in G.modules())
    # a gradient penalty differentiates through D twice
    x = torch.randn(4, 3, 32, 32, requires_grad=True)
    (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    g.pow(2).sum().backward()
    missing = {n for n, p in D.named_parameters() if p.grad is None}
    assert missing == {"linear.bias"}  # the only parameter ∇ₓD does not depend on
    _, Dv = build_nets(ModelConfig(arch="resnet", width=8, d_out=64), (3, 32, 32), "image", d_output="vector")
    assert Dv(torch.randn(2, 3, 32, 32)).shape == (2, 64)
    _, De = build_nets(ModelConfig(arch="resnet", width=8), (3, 32, 32), "image", d_output="energy")
    assert De(torch.randn(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    _, Dl = build_nets(ModelConfig(arch="resnet", width=8, d_norm="layer"), (3, 48, 48), "image")
    assert any(isinstance(m, nn.GroupNorm) for m in Dl.modules())
    with pytest.raises(GanlabError, match="model.arch=resnet needs images"):
        build_nets(ModelConfig(arch="resnet"), (2,), "points")
    with pytest.raises(GanlabError, match="invalid model config"):
        build_nets(ModelConfig(arch="resnet", width=8), (3, 40, 40), "image")


def test_dcgan_at_48_starts_from_6x6():
    G = DCGANGenerator(16, 3, 48, width=8)
    D = DCGANDiscriminator(3, 48, width=8)
    assert G.fc(torch.randn(2, 16)).shape[-2:] == (6, 6)
    x = G(torch.randn(2, 16))
    assert x.shape == (2, 3, 48, 48) and D(x).shape == (2, 1)
    G, D = build_nets(ModelConfig(arch="dcgan", width=8), (3, 48, 48), "image")
    assert D(G(torch.randn(2, 32))).shape == (2, 1)
