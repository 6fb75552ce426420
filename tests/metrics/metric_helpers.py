"""Small generators with known behaviour, shared by the metric tests."""

from __future__ import annotations

import math

import torch
from torch import nn


class MixtureSampler(nn.Module):
    """A perfect sampler of an isotropic Gaussian mixture: z₀ picks the component through
    Φ(z₀) (uniform on [0, 1)), z₁.. give the Gaussian offset. ``only`` collapses it onto one mode."""

    def __init__(self, centres, sigma: float, only: int | None = None) -> None:
        super().__init__()
        self.register_buffer("centres", torch.as_tensor(centres, dtype=torch.float32))
        self.sigma, self.only = sigma, only
        self.z_dim = 1 + self.centres.shape[1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        k = len(self.centres)
        u = 0.5 * (1 + torch.erf(z[:, 0] / math.sqrt(2)))  # Φ(z₀)
        comp = (u * k).long().clamp_max(k - 1) if self.only is None else torch.full_like(z[:, 0], self.only).long()
        return self.centres[comp] + self.sigma * z[:, 1:]


class LinearImages(nn.Module):
    """G(z) = A z + b reshaped to (1, 8, 8), A invertible: every 8×8 image is reachable exactly."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.z_dim = 64
        q, _ = torch.linalg.qr(torch.randn(64, 64, generator=g))
        self.lin = nn.Linear(64, 64)
        with torch.no_grad():
            self.lin.weight.copy_(0.5 * q)  # well conditioned: Adam on z converges fast
            self.lin.bias.zero_()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.lin(z).view(-1, 1, 8, 8)


class MLPImages(nn.Module):
    """An untrained tanh MLP generator of 8×8 images."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.z_dim = 16
        self.net = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 64), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 1, 8, 8)
