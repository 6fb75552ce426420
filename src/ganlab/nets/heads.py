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
