"""Discriminator heads. Architectures only."""

from __future__ import annotations

import torch
from torch import nn


class VectorHead(nn.Module):
    """features (B, in_features) → f ∈ Rⁿ (B, n): one linear layer, Xavier-initialised.

    The Rⁿ output read by the vector objectives (Sphere GAN's geometric block before its
    inverse stereographic projection, MMD and Cramér features). Xavier (Glorot) init follows
    Sphere GAN (Park & Kwon 2019; the official code uses Glorot-normal).
    """

    def __init__(self, in_features: int, n: int, bias: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, n, bias=bias)
        nn.init.xavier_uniform_(self.linear.weight)
        if bias:
            nn.init.zeros_(self.linear.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.linear(h.flatten(1))


class AuxD(nn.Module):
    """[d, aux] = [head(φ(x)), Linear(φ(x))]: an auxiliary head of ``size`` outputs on D's features
    (InfoGAN's Q network sharing D's body, Chen et al. 2016, §5)."""

    def __init__(self, body: nn.Module, size: int) -> None:
        super().__init__()
        self.body, self.aux_outputs = body, size
        self.aux = nn.Linear(body.head.in_features, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body.features(x)
        return torch.cat([self.body.head(h), self.aux(h)], dim=1)


class CodedG(nn.Module):
    """A generator fed [noise, codes] (InfoGAN): ``z_dim`` noise entries ~ N(0, 1), then one-hot
    categorical codes of the given sizes (uniform classes), then ``continuous`` codes ~ U[−1, 1]
    (Chen et al. 2016, §6). ``prior(n, generator)`` draws that latent; ``body`` takes all of it."""

    def __init__(self, body: nn.Module, noise: int, categorical: tuple[int, ...], continuous: int) -> None:
        super().__init__()
        self.body, self.noise = body, noise
        self.categorical, self.continuous = tuple(categorical), continuous
        self.z_dim = noise + sum(categorical) + continuous

    def prior(self, n: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu") -> torch.Tensor:
        parts = [torch.randn(n, self.noise, generator=generator, device=device)]
        for k in self.categorical:
            idx = torch.randint(0, k, (n,), generator=generator, device=device)
            parts.append(torch.nn.functional.one_hot(idx, k).to(parts[0].dtype))
        if self.continuous:
            parts.append(torch.rand(n, self.continuous, generator=generator, device=device) * 2 - 1)
        return torch.cat(parts, dim=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z)
