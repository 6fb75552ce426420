"""Least-squares GAN (Mao et al. 2017)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective


@OBJECTIVES.register("least_squares")
@dataclasses.dataclass(frozen=True)
class LeastSquares(Objective):
    """LSGAN: L_D = ½E(d_r − b)² + ½E(d_f − a)²,  L_G = ½E(d_f − c)².

    Mao et al. 2017, eq. 2. Targets a for fakes, b for reals, c the value G wants D to
    believe: (a, b, c) = (0, 1, 1) (default) or (−1, 1, 0) (the Pearson χ² setting, b − c = 1,
    b − a = 2). d is a raw score, not a logit.
    """

    output: ClassVar[str] = "score"
    a: float = 0.0
    b: float = 1.0
    c: float = 1.0

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return 0.5 * (batch.d_real - self.b).pow(2).mean() + 0.5 * (batch.d_fake - self.a).pow(2).mean()

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return 0.5 * (batch.d_fake - self.c).pow(2).mean()
