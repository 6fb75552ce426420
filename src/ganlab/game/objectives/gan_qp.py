"""GAN-QP (Su, "GAN-QP: A Novel GAN Framework without Gradient Vanishing and Lipschitz
Constraint", arXiv 1811.07296; REFERENCES §1.5).

A quadratic penalty on the critic *difference* replaces the Lipschitz constraint:

    L_D = E[ −(T_r − T_f) + (T_r − T_f)² / (2λ d(x_r, x_f)) ],      L_G = E[T_r − T_f]

with real i paired with fake i in the batch. The optimal critic difference is
T_r − T_f = λ d(x_r, x_f), so the inner maximum is (λ/2) E d(x_r, x_f) — a transport cost.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective
from ganlab.game.objectives._common import check_paired, per_sample


@OBJECTIVES.register("gan_qp")
@dataclasses.dataclass(frozen=True)
class GANQP(Objective):
    """GAN-QP: L_D = E[−(T_r − T_f) + (T_r − T_f)²/(2λ(d(x_r, x_f) + ε))],  L_G = E[T_r − T_f].

    ``distance``: "l1" → d = mean_pixels |x_r − x_f|; "l2" → d = √(mean_pixels (x_r − x_f)²),
    both normalised by the dimension as in bojone/gan-qp (λ d = 10 × per-sample mean L1 or RMS
    difference). λ = ``lam`` = 10 (paper). T is a critic (reals score high).

    ε = ``eps`` keeps the penalty finite where x_f = x_r, which the Dirac GAN hits exactly at
    its equilibrium (θ = 0 = x_r): there T_r = T_f as well, so the term is 0/ε = 0 with finite
    gradients. For "l2" the root is taken as √(mean (x_r − x_f)² + ε²), differentiable at 0.
    L_G's T_r term carries no gradient for G; it is kept so that L_G reads as in the paper.
    """

    output: ClassVar[str] = "critic"
    benchmark: ClassVar = (("game.params={lam: 10.0, distance: l1}", "train.n_critic=2"), "λ=10, L1, n_D=2 (configs/gan_qp.yaml)")
    lam: float = 10.0  # Su 2018
    distance: str = "l1"
    eps: float = 1e-6

    def __post_init__(self) -> None:
        if self.distance not in ("l1", "l2"):
            raise ValueError(f"gan_qp distance must be 'l1' or 'l2', got {self.distance!r}")
        if not self.lam > 0 or not self.eps > 0:
            raise ValueError("gan_qp lam and eps must be positive")

    def dist(self, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
        """d(x_r, x_f) + ε per pair, shape (B,), always > 0."""
        diff = (x_real - x_fake).reshape(x_real.shape[0], -1)
        if self.distance == "l1":
            return diff.abs().mean(dim=1) + self.eps
        return (diff.pow(2).mean(dim=1) + self.eps**2).sqrt()

    def d_loss(self, batch: Batch) -> torch.Tensor:
        check_paired(batch.x_real, batch.x_fake, "gan_qp")
        t_diff = per_sample(batch.d_real, "T(x_r)") - per_sample(batch.d_fake, "T(x_f)")  # T_r − T_f
        quad = t_diff.pow(2) / (2 * self.lam * self.dist(batch.x_real, batch.x_fake))
        return (-t_diff + quad).mean()

    def g_loss(self, batch: Batch) -> torch.Tensor:
        check_paired(batch.x_real, batch.x_fake, "gan_qp")
        return (per_sample(batch.d_real, "T(x_r)") - per_sample(batch.d_fake, "T(x_f)")).mean()  # E[T_r − T_f]
