"""The one thing objectives and penalties see: the two players and a batch of samples."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class Batch:
    """Real and fake samples with the discriminator that scores them.

    ``d_real = D(x_real)`` and ``d_fake = D(x_fake)`` are computed on first use and cached, so
    an objective and the penalties that share them cost one forward pass per side. ``G`` and
    ``z`` are there for generator-side penalties (tangents of G at z).

    Whether gradients flow into G through ``x_fake`` is decided by whoever builds the batch
    (the trainer passes a detached ``x_fake`` for D steps); the maths here never detaches.
    """

    def __init__(
        self,
        D: nn.Module | Any,
        x_real: torch.Tensor,
        x_fake: torch.Tensor,
        G: nn.Module | Any | None = None,
        z: torch.Tensor | None = None,
    ) -> None:
        self.D = D
        self.x_real = x_real
        self.x_fake = x_fake
        self.G = G
        self.z = z
        self._d_real: torch.Tensor | None = None
        self._d_fake: torch.Tensor | None = None

    @property
    def d_real(self) -> torch.Tensor:
        """D's raw output on the real samples (logit or critic value), shape (B, …)."""
        if self._d_real is None:
            self._d_real = self.D(self.x_real)
        return self._d_real

    @property
    def d_fake(self) -> torch.Tensor:
        """D's raw output on the fake samples, shape (B, …)."""
        if self._d_fake is None:
            self._d_fake = self.D(self.x_fake)
        return self._d_fake

    def __repr__(self) -> str:
        return f"Batch(x_real={tuple(self.x_real.shape)}, x_fake={tuple(self.x_fake.shape)})"
