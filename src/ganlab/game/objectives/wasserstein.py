"""Wasserstein GAN (Arjovsky et al. 2017)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective


@OBJECTIVES.register("wasserstein")
@dataclasses.dataclass(frozen=True)
class Wasserstein(Objective):
    """WGAN: L_D = E d_f − E d_r,  L_G = −E d_f.

    Arjovsky et al. 2017, eq. 3 (Kantorovich–Rubinstein dual). The critic d must be
    1-Lipschitz: pair it with the ``clip`` constraint (c = 0.01), spectral normalisation, or a
    penalty (``gp`` → WGAN-GP, ``lp`` → WGAN-LP, ``wgan_div`` → WGAN-div). Reals score high.
    """

    output: ClassVar[str] = "critic"

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return batch.d_fake.mean() - batch.d_real.mean()

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return -batch.d_fake.mean()
