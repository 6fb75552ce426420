"""Relativistic GANs (Jolicoeur-Martineau, "The relativistic discriminator: a key element
missing from standard GAN", ICLR 2019).

D's raw output C is a critic logit; instead of "is x real?" D estimates "is x more real than
the other side?". Both players' losses are relativistic: G also lowers the score of the
*real* samples relative to the fakes, which is what makes these games differ from
non-saturating GAN (DESIGN: a known bug in popular code silently uses the non-saturating G
loss instead).

Formulas follow the AlexiaJM/RelativisticGAN README (REFERENCES §1.3), with C_r, C_f the critic
outputs and C̄_r, C̄_f their batch means; BCE(y, 1) = softplus(−y), BCE(y, 0) = softplus(y).

Code discrepancy (README, issue #2): the code behind the paper's RaSGAN / RaLSGAN numbers used
C̄_f − C_r instead of C_f − C̄_r in the fake term; RaHinge was correct. We implement the
formulas as written in the paper and README.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective
from ganlab.game.objectives._common import check_paired


def _relative_average(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(C_r − C̄_f, C_f − C̄_r): each side compared with the other side's batch mean."""
    c_r, c_f = batch.d_real, batch.d_fake
    return c_r - c_f.mean(), c_f - c_r.mean()


@OBJECTIVES.register("rsgan")
@dataclasses.dataclass(frozen=True)
class RSGAN(Objective):
    """RSGAN: L_D = −E log σ(C_r − C_f),  L_G = −E log σ(C_f − C_r); real i paired with fake i.

    L_D = −E log σ(C_r − C_f) = E softplus(−(C_r − C_f))
    L_G = −E log σ(C_f − C_r) = E softplus(−(C_f − C_r))
    """

    output: ClassVar[str] = "logit"

    def d_loss(self, batch: Batch) -> torch.Tensor:
        check_paired(batch.d_real, batch.d_fake, "rsgan")
        return F.softplus(-(batch.d_real - batch.d_fake)).mean()

    def g_loss(self, batch: Batch) -> torch.Tensor:
        check_paired(batch.d_real, batch.d_fake, "rsgan")
        return F.softplus(-(batch.d_fake - batch.d_real)).mean()


@OBJECTIVES.register("rasgan")
@dataclasses.dataclass(frozen=True)
class RaSGAN(Objective):
    """RaSGAN: L_D = ½[BCE(C_r − C̄_f, 1) + BCE(C_f − C̄_r, 0)],  L_G with the targets swapped.

    L_D = ½[BCE(C_r − C̄_f, 1) + BCE(C_f − C̄_r, 0)]
    L_G = ½[BCE(C_r − C̄_f, 0) + BCE(C_f − C̄_r, 1)]
    """

    output: ClassVar[str] = "logit"

    def d_loss(self, batch: Batch) -> torch.Tensor:
        rel_r, rel_f = _relative_average(batch)
        return 0.5 * (F.softplus(-rel_r).mean() + F.softplus(rel_f).mean())

    def g_loss(self, batch: Batch) -> torch.Tensor:
        rel_r, rel_f = _relative_average(batch)
        return 0.5 * (F.softplus(rel_r).mean() + F.softplus(-rel_f).mean())


@OBJECTIVES.register("ralsgan")
@dataclasses.dataclass(frozen=True)
class RaLSGAN(Objective):
    """RaLSGAN: L_D = ½[E(C_r − C̄_f − 1)² + E(C_f − C̄_r + 1)²],  L_G with the signs of 1 swapped.

    L_D = ½[E(C_r − C̄_f − 1)² + E(C_f − C̄_r + 1)²]
    L_G = ½[E(C_r − C̄_f + 1)² + E(C_f − C̄_r − 1)²]
    """

    output: ClassVar[str] = "score"

    def d_loss(self, batch: Batch) -> torch.Tensor:
        rel_r, rel_f = _relative_average(batch)
        return 0.5 * ((rel_r - 1).pow(2).mean() + (rel_f + 1).pow(2).mean())

    def g_loss(self, batch: Batch) -> torch.Tensor:
        rel_r, rel_f = _relative_average(batch)
        return 0.5 * ((rel_r + 1).pow(2).mean() + (rel_f - 1).pow(2).mean())


@OBJECTIVES.register("rahinge")
@dataclasses.dataclass(frozen=True)
class RaHinge(Objective):
    """RaHinge: L_D = ½[E(1 − (C_r − C̄_f))₊ + E(1 + (C_f − C̄_r))₊],  L_G with real and fake roles swapped.

    L_D = ½[E max(0, 1 − (C_r − C̄_f)) + E max(0, 1 + (C_f − C̄_r))]
    L_G = ½[E max(0, 1 + (C_r − C̄_f)) + E max(0, 1 − (C_f − C̄_r))]
    """

    output: ClassVar[str] = "critic"

    def d_loss(self, batch: Batch) -> torch.Tensor:
        rel_r, rel_f = _relative_average(batch)
        return 0.5 * (F.relu(1 - rel_r).mean() + F.relu(1 + rel_f).mean())

    def g_loss(self, batch: Batch) -> torch.Tensor:
        rel_r, rel_f = _relative_average(batch)
        return 0.5 * (F.relu(1 + rel_r).mean() + F.relu(1 - rel_f).mean())
