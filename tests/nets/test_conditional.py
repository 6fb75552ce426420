"""Conditioning mechanisms: the equivalences the issue names (a projection D with a zero
embedding is the unconditional D; conditional BatchNorm with one shared embedding is BatchNorm),
that labels change what the networks compute, and every mechanism on every architecture."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from ganlab.config import ModelConfig
from ganlab.errors import GanlabError
from ganlab.nets import build_nets
from ganlab.nets.conditional import ACGAND, ConditionalBatchNorm, FixedClass, ProjectionD
from ganlab.nets.dcgan import DCGANDiscriminator
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.nets.resnet import ResNetDiscriminator

K = 5


def _bodies() -> list[nn.Module]:
    torch.manual_seed(0)
    return [MLPDiscriminator(12, 16, 2, 1, "none"), DCGANDiscriminator(1, 8, 8, 1, "none"), ResNetDiscriminator(3, 32, 8, 1, "none")]


@pytest.mark.parametrize("body", _bodies(), ids=["mlp", "dcgan", "resnet"])
def test_projection_with_zero_embedding_is_the_unconditional_d(body):
    D = ProjectionD(body, K)
    nn.init.zeros_(D.embed.weight)
    shape = (7, 12) if isinstance(body, MLPDiscriminator) else ((7, 1, 8, 8) if isinstance(body, DCGANDiscriminator) else (7, 3, 32, 32))
    x = torch.randn(shape)
    y = torch.randint(0, K, (7,))
    assert torch.equal(D(x, y), body(x))
    nn.init.normal_(D.embed.weight)  # a real embedding: the class now moves the score
    assert not torch.allclose(D(x, y), D(x, (y + 1) % K))


def test_projection_adds_the_inner_product_with_the_class_embedding():
    body = _bodies()[0]
    D = ProjectionD(body, K)
    x, y = torch.randn(6, 12), torch.randint(0, K, (6,))
    phi = body.features(x)
    expected = body.head(phi)[:, 0] + (D.embed.weight[y] * phi).sum(1)
    torch.testing.assert_close(D(x, y)[:, 0], expected)


@pytest.mark.parametrize("dims", [1, 2])
def test_cbn_with_one_shared_embedding_is_batchnorm(dims):
    torch.manual_seed(1)
    cbn, bn = ConditionalBatchNorm(6, K, dims=dims), (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(6)
    gain, bias = torch.randn(6), torch.randn(6)
    with torch.no_grad():
        cbn.gain.weight.copy_(gain.expand(K, 6))
        cbn.bias.weight.copy_(bias.expand(K, 6))
        bn.weight.copy_(gain)
        bn.bias.copy_(bias)
    x = torch.randn(8, 6, 4, 4) if dims == 2 else torch.randn(8, 6)
    y = torch.randint(0, K, (8,))
    torch.testing.assert_close(cbn(x, y), bn(x), rtol=1e-6, atol=1e-6)  # training mode: batch statistics
    torch.testing.assert_close(cbn.bn.running_mean, bn.running_mean)
    cbn.eval(), bn.eval()
    torch.testing.assert_close(cbn(x, y), bn(x), rtol=1e-6, atol=1e-6)  # eval: the running statistics


def test_cbn_starts_as_plain_batchnorm_and_learns_per_class():
    cbn = ConditionalBatchNorm(3, K)
    x, y = torch.randn(8, 3, 2, 2), torch.randint(0, K, (8,))
    torch.testing.assert_close(cbn(x, y), nn.BatchNorm2d(3)(x))
    with torch.no_grad():
        cbn.gain.weight[0] *= 3
    y0 = torch.zeros(8, dtype=torch.long)
    assert not torch.allclose(cbn(x, y0), cbn(x, y0 + 1))


def model(**kw) -> ModelConfig:
    return dataclasses.replace(ModelConfig(conditional=True, width=16, depth=2, z_dim=8), **kw)


CASES = [("mlp", (12,), "points"), ("dcgan", (1, 8, 8), "image"), ("resnet", (3, 32, 32), "image")]


@pytest.mark.parametrize("arch,shape,kind", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("g_cond", ["cbn", "concat"])
@pytest.mark.parametrize("d_cond", ["projection", "concat", "acgan"])
def test_every_mechanism_on_every_architecture(arch, shape, kind, g_cond, d_cond):
    torch.manual_seed(0)
    G, D = build_nets(model(arch=arch, g_cond=g_cond, d_cond=d_cond), shape, kind, n_classes=K)
    assert G.n_classes == K and D.n_classes == K
    z, y = torch.randn(4, 8), torch.tensor([0, 1, 2, 3])
    x = G(z, y)
    assert x.shape == (4, *shape)
    # the label reaches the output (cBN starts as plain BatchNorm: give its classes gains of their own)
    for m in G.modules():
        if isinstance(m, ConditionalBatchNorm):
            nn.init.normal_(m.gain.weight, 1.0, 0.5)
    G.eval()
    assert not torch.allclose(G(z, y), G(z, (y + 1) % K))
    out = D(x, y)
    assert out.shape == (4, 1 + K if d_cond == "acgan" else 1)
    out.sum().backward()
    assert all(p.grad is not None for n, p in D.named_parameters() if "embed" not in n or d_cond != "acgan")


def test_spectral_norm_reaches_the_projection_embedding():
    _, D = build_nets(model(arch="dcgan", spectral_norm=True), (1, 8, 8), "image", n_classes=K)
    assert hasattr(D.embed, "parametrizations")


def test_acgan_d_ignores_labels_and_emits_class_logits():
    D = ACGAND(_bodies()[0], K)
    x = torch.randn(3, 12)
    assert torch.equal(D(x), D(x, torch.tensor([0, 1, 2])))


def test_fixed_class_is_g_at_one_class():
    G, _ = build_nets(model(arch="mlp"), (12,), "points", n_classes=K)
    G.eval()
    z = torch.randn(5, 8)
    torch.testing.assert_close(FixedClass(G, 3)(z), G(z, torch.full((5,), 3)))


def test_conditional_nets_need_classes_and_fitting_settings():
    with pytest.raises(GanlabError, match="class labels"):
        build_nets(model(arch="mlp"), (12,), "points", n_classes=None)
    with pytest.raises(GanlabError, match="g_norm=batch"):
        build_nets(model(arch="mlp", g_norm="none"), (12,), "points", n_classes=K)
    with pytest.raises(GanlabError, match="scalar D output"):
        build_nets(model(arch="mlp"), (12,), "points", d_output="vector", n_classes=K)
