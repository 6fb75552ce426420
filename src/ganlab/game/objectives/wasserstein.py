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
    benchmark: ClassVar = (
        ("game.penalties=[{name: gp, lam: 10}]", "train.n_critic=5", "train.lr_d=1e-4", "train.lr_g=1e-4",
         "train.betas_d=[0.0, 0.9]", "train.betas_g=[0.0, 0.9]"),
        "WGAN-GP: GP λ=10, n_D=5, Adam 1e-4 β=(0, 0.9) (Gulrajani 2017, Alg. 1)",
    )  # fmt: skip

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return batch.d_fake.mean() - batch.d_real.mean()

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return -batch.d_fake.mean()
