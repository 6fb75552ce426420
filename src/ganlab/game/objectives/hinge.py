"""Hinge loss (Lim & Ye 2017; Miyato et al. 2018)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective


@OBJECTIVES.register("hinge")
@dataclasses.dataclass(frozen=True)
class Hinge(Objective):
    """Hinge GAN: L_D = E max(0, 1 − d_r) + E max(0, 1 + d_f),  L_G = −E d_f.

    Lim & Ye 2017 ("Geometric GAN"); the SN-GAN / BigGAN default. d is a critic value.
    """

    output: ClassVar[str] = "critic"

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return F.relu(1 - batch.d_real).mean() + F.relu(1 + batch.d_fake).mean()

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return -batch.d_fake.mean()
