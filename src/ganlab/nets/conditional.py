"""Class-conditional networks: G(z, y) and D(x, y), y ∈ {0, …, K−1}. Architectures only.

Generators:
- ``ConditionalBatchNorm`` (de Vries et al. 2017, "Modulating early visual processing by
  language"; Miyato & Koyama 2018, "cGANs with Projection Discriminator", §4): BatchNorm without
  its own affine parameters, then a per-class gain and bias, γ_y ⊙ x̂ + β_y (γ initialised 1,
  β 0, so every class starts as plain BatchNorm). Used wherever the generator has BatchNorm.
- ``ConcatG`` (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets"): z is
  concatenated with a learned class embedding before the first layer.

Discriminators (each over an unconditional body exposing ``features(x)`` and ``head``):
- ``ProjectionD`` (Miyato & Koyama 2018, eq. 3): d(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩, φ the
  body's features, ψ its head. With a zero embedding it is the unconditional D exactly.
- ``ConcatD`` (Mirza & Osindero 2014): the class embedding joins the input — concatenated to a
  flat input, or broadcast as extra image channels.
- ``ACGAND`` (Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier
  GANs"): an unconditional D plus a classifier head on the same features; its output is
  [d, class logits] concatenated, which ``Batch`` splits (``aux``) for the ``acgan`` penalty.
"""

from __future__ import annotations

import torch
from torch import nn

CONDITIONAL_ATTR = "conditional"  # layers that take (x, y)


def run(layers: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """Apply a Sequential's layers in order, passing y to the conditional ones."""
    for layer in layers:
        x = layer(x, y) if getattr(layer, CONDITIONAL_ATTR, False) else layer(x)
    return x


class ConditionalBatchNorm(nn.Module):
    """BatchNorm{1,2}d(affine=False) followed by a per-class gain γ_y and bias β_y."""

    conditional = True

    def __init__(self, num_features: int, n_classes: int, dims: int = 2) -> None:
        super().__init__()
        self.bn = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(num_features, affine=False)
        self.gain = nn.Embedding(n_classes, num_features)
        self.bias = nn.Embedding(n_classes, num_features)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.bn(x)
        shape = (len(y), -1) + (1,) * (x.dim() - 2)
        return self.gain(y).reshape(shape) * h + self.bias(y).reshape(shape)


def norm_layer(kind: str, channels: int, dims: int, n_classes: int | None = None) -> nn.Module:
    """The normalisation of ``model.g_norm`` / ``model.d_norm`` for flat (dims=1) or image (dims=2)
    features; with ``n_classes``, BatchNorm becomes ``ConditionalBatchNorm``. Layer norm over an
    image is GroupNorm with one group: normalised over (C, H, W), as in WGAN-GP's critic."""
    if kind == "batch" and n_classes:
        return ConditionalBatchNorm(channels, n_classes, dims=dims)
    if kind == "batch":
        return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels) if dims == 2 else nn.LayerNorm(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be batch, layer or none, got {kind!r}")


class _Concat(nn.Module):
    """A body fed its input beside a learned class embedding (Mirza & Osindero 2014)."""

    def __init__(self, body: nn.Module, n_classes: int, embed_dim: int) -> None:
        super().__init__()
        self.body, self.n_classes = body, n_classes
        self.embed = nn.Embedding(n_classes, embed_dim)


class ConcatG(_Concat):
    """G(z, y) = body([z, embed(y)]); ``body`` was built for z_dim + embed_dim inputs."""

    def __init__(self, body: nn.Module, z_dim: int, n_classes: int, embed_dim: int) -> None:
        super().__init__(body, n_classes, embed_dim)
        self.z_dim = z_dim

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([z, self.embed(y)], dim=1))


class CBNG(nn.Module):
    """A generator whose BatchNorm layers are conditional: ``body.forward(z, y)`` threads y to them."""

    def __init__(self, body: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.body, self.z_dim, self.n_classes = body, body.z_dim, n_classes

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.body(z, y)


class ProjectionD(nn.Module):
    """d(x, y) = head(φ(x)) + ⟨embed(y), φ(x)⟩ (Miyato & Koyama 2018)."""

    def __init__(self, body: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.body, self.n_classes = body, n_classes
        self.embed = nn.Embedding(n_classes, body.head.in_features)
        nn.init.xavier_uniform_(self.embed.weight)  # Glorot, as the authors' chainer code

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.body.features(x)
        return self.body.head(h) + (self.embed(y) * h).sum(dim=1, keepdim=True)  # ψ(φ) + ⟨e_y, φ⟩


class ConcatD(_Concat):
    """D(x, y) = body([x, embed(y)]): appended to a flat input, or as extra channels of an image."""

    def __init__(self, body: nn.Module, n_classes: int, embed_dim: int, image: bool) -> None:
        super().__init__(body, n_classes, embed_dim)
        self.image = image

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        e = self.embed(y)
        if self.image:
            return self.body(torch.cat([x, e[:, :, None, None].expand(-1, -1, *x.shape[2:])], dim=1))
        return self.body(torch.cat([x.flatten(1), e], dim=1))


class ACGAND(nn.Module):
    """[d, class logits] = [head(φ(x)), classifier(φ(x))]; y is not an input (Odena et al. 2017)."""

    def __init__(self, body: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.body, self.n_classes, self.aux_outputs = body, n_classes, n_classes
        self.classifier = nn.Linear(body.head.in_features, n_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.body.features(x)
        return torch.cat([self.body.head(h), self.classifier(h)], dim=1)


class FixedClass(nn.Module):
    """G(·, c): a conditional generator seen as an unconditional one for class ``c`` (for
    analyses of G as a map of z alone: Jacobians, tangent ranks)."""

    def __init__(self, G: nn.Module, c: int) -> None:
        super().__init__()
        self.G, self.c, self.z_dim = G, int(c), G.z_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z, torch.full((len(z),), self.c, dtype=torch.long, device=z.device))
