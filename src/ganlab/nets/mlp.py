"""Multi-layer perceptrons for 2-D (or any flat) data."""

from __future__ import annotations

import torch
from torch import nn

from ganlab.nets.conditional import norm_layer, run


class MLPGenerator(nn.Module):
    """z (B, z_dim) → x (B, out_dim): ``depth`` hidden ReLU layers of ``width`` (PacGAN: 4 × 400).

    ``n_classes``: its BatchNorm layers become conditional (forward(z, y))."""

    stack_layers = ("net",)  # nets.grouped: forward is net(z)

    def __init__(self, z_dim: int, out_dim: int, width: int = 128, depth: int = 3, norm: str = "batch",
                 n_classes: int | None = None) -> None:  # fmt: skip
        super().__init__()
        self.z_dim = z_dim
        layers: list[nn.Module] = []
        d = z_dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), norm_layer(norm, width, 1, n_classes), nn.ReLU()]
            d = width
        layers.append(nn.Linear(d, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return run(self.net, z, y)


class MLPDiscriminator(nn.Module):
    """x (B, in_dim) → d (B, out_dim): ``depth`` hidden LeakyReLU(0.2) layers of ``width``."""

    stack_layers = ("net",)  # nets.grouped: forward is net(x.flatten(1))
    stack_flatten_input = True

    def __init__(self, in_dim: int, width: int = 128, depth: int = 3, out_dim: int = 1, norm: str = "none") -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), norm_layer(norm, width, 1), nn.LeakyReLU(0.2)]
            d = width
        layers.append(nn.Linear(d, out_dim))
        self.net = nn.Sequential(*layers)

    @property
    def head(self) -> nn.Linear:
        """The last layer: d = head(features(x))."""
        return self.net[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """φ(x): the input of the last layer."""
        return self.net[:-1](x.flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))
