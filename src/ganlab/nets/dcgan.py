"""DCGAN-style convolutional G and D (Radford et al. 2016) with the resolution as a parameter.

Both work at any power-of-two resolution ≥ 8 and at 6·2ⁿ ≥ 24: G starts from a 4×4 map (6×6
for 24, 48, 96, …: SN-GAN's M_g = 6 for STL-10 at 48²) and doubles it with stride-2 transposed
convolutions, halving the channels; D mirrors it. One class serves 8×8 digits, 48×48 STL-10
and 64×64 images alike.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganlab.nets.conditional import norm_layer, run


def _n_stages(resolution: int) -> tuple[int, int]:
    """(start side s, number of doublings n) with resolution = s·2ⁿ: s = 4 (n ≥ 1) or s = 6 (n ≥ 2)."""
    for start, n_min in ((4, 1), (6, 2)):  # 6×6 starts serve 24, 48, 96; 12² is too small to need one
        n = math.log2(resolution / start) if resolution > 0 else -1
        if n >= n_min and n == int(n):
            return start, int(n)
    raise ValueError(f"DCGAN resolution must be a power of two ≥ 8 or 6·2ⁿ ≥ 24 (8, 16, 24, 32, 48, 64, 96, …), got {resolution}")


class DCGANGenerator(nn.Module):
    """z (B, z_dim) → x (B, channels, resolution, resolution) in [−1, 1] (tanh)."""

    stack_layers = ("fc", "blocks")  # nets.grouped: forward is blocks(fc(z))

    def __init__(self, z_dim: int, channels: int, resolution: int, width: int = 64, norm: str = "batch",
                 n_classes: int | None = None) -> None:  # fmt: skip
        super().__init__()
        self.z_dim = z_dim
        s, n = _n_stages(resolution)
        c = width * 2 ** (n - 1)  # channels at s×s, halved at each doubling
        self.c0 = c
        self.fc = nn.Sequential(nn.Linear(z_dim, c * s * s), nn.Unflatten(1, (c, s, s)), norm_layer(norm, c, 2, n_classes), nn.ReLU())
        blocks: list[nn.Module] = []
        for _ in range(n):
            c_out = max(c // 2, 8)
            blocks += [nn.ConvTranspose2d(c, c_out, 4, 2, 1), norm_layer(norm, c_out, 2, n_classes), nn.ReLU()]
            c = c_out
        blocks += [nn.Conv2d(c, channels, 3, 1, 1), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return run(self.blocks, run(self.fc, z, y), y)


class DCGANDiscriminator(nn.Module):
    """x (B, channels, resolution, resolution) → d (B, out_dim), LeakyReLU(0.2) throughout."""

    stack_layers = ("net",)  # nets.grouped: forward is net(x)

    def __init__(
        self, channels: int, resolution: int, width: int = 64, out_dim: int = 1, norm: str = "none"
    ) -> None:
        super().__init__()
        s, n = _n_stages(resolution)
        c = max(width // 2, 8)
        layers: list[nn.Module] = [nn.Conv2d(channels, c, 3, 1, 1), nn.LeakyReLU(0.2)]
        for _ in range(n):
            layers += [nn.Conv2d(c, c * 2, 4, 2, 1), norm_layer(norm, c * 2, 2), nn.LeakyReLU(0.2)]
            c *= 2
        layers += [nn.Flatten(), nn.Linear(c * s * s, out_dim)]
        self.net = nn.Sequential(*layers)

    @property
    def head(self) -> nn.Linear:
        """The last layer: d = head(features(x))."""
        return self.net[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """φ(x): the flattened input of the last layer."""
        return self.net[:-1](x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
