"""Loss-sensitive GAN and its generalisation GLS-GAN (Qi, "Loss-Sensitive Generative
Adversarial Networks on Lipschitz Densities", arXiv 1701.06264, IJCV 2019).

D's output is read as a *loss* L(x): low on real data, high on fakes (output = "loss"; a WGAN
critic corresponds to d = −L). L must be smaller on a real sample than on a fake one by at
least the margin Δ(x, x̃); violations are paid through a cost C:

    L_D = γ E L(x) + λ E C(Δ(x, x̃) + L(x) − L(x̃)),      L_G = E L(x̃)

LS-GAN uses C(a) = (a)₊; GLS-GAN uses C_ν(a) = max(a, νa) (a leaky ReLU of slope ν ≤ 1).

Choices (REFERENCES §1.4):
* Pairing: real i is paired with fake i within the batch (official ``lsgan.lua``); the batch
  sizes must match.
* Margin: Δ(x, x̃) = ``margin`` · mean_pixels |x − x̃|, the pixel-wise L1 distance (the paper
  found L1 better than L2). The official code uses 0.0002 · Σ_pixels |x − x̃| on 3×64×64
  images, i.e. ``margin`` ≈ 2.46 in our per-pixel-mean units; we default to 1.
* ``real_weight`` γ: the paper's objective weighs E L(x) by 1 (and the slack by λ); the
  official code sets γ = 0 and weighs the slack by 1. Sources disagree; we default to the
  official code (γ = 0, λ = 1), as the published results come from it. Set
  ``real_weight=1, lam=λ`` for the paper's form.
* Meaning checks (tested): GLS with ν = 0 is LS-GAN; GLS with ν = 1 and γ = 0 gives
  L_D = λ(E Δ + E L(x) − E L(x̃)), whose gradient in D is λ times WGAN's with critic d = −L
  (E Δ does not depend on D), and L_G = E L(x̃) = −E d_f is WGAN's generator loss.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective
from ganlab.game.objectives._common import check_paired, per_sample


@OBJECTIVES.register("loss_sensitive")
@dataclasses.dataclass(frozen=True)
class LossSensitive(Objective):
    """LS-GAN (Qi 2017, §3): L_D = γ E L(x) + λ E (Δ(x, x̃) + L(x) − L(x̃))₊,  L_G = E L(x̃).

    L = D's output (lower = more real), Δ = ``margin`` · mean |x − x̃| (pixel-wise L1), real i
    paired with fake i. Defaults follow the official code: γ = ``real_weight`` = 0, λ = ``lam`` = 1.
    Pair with weight clipping (official GLS code: ±0.08) or a gradient penalty to keep L Lipschitz.
    """

    output: ClassVar[str] = "loss"
    benchmark: ClassVar = (("game.params={lam: 1.0, margin: 1.0, real_weight: 0.0}",),
                           "λ=1, Δ = 1·mean|x−x̃|, no constraint (configs/loss_sensitive.yaml, margin for 2-D)")
    lam: float = 1.0  # weight of the slack term (paper λ; official code 1)
    margin: float = 1.0  # Δ = margin · mean|x − x̃|; official 2e-4 · Σ over 3·64² pixels ≈ 2.46
    real_weight: float = 0.0  # γ, weight of E L(x): paper 1, official code 0

    def __post_init__(self) -> None:
        if self.lam < 0 or self.margin < 0 or self.real_weight < 0:
            raise ValueError(f"{self.name} lam, margin and real_weight must be ≥ 0")

    def cost(self, a: torch.Tensor) -> torch.Tensor:
        """C(a), the price of violating the margin: (a)₊ for LS-GAN."""
        return F.relu(a)

    def slack(self, batch: Batch) -> torch.Tensor:
        """Δ(x_i, x̃_i) + L(x_i) − L(x̃_i), shape (B,)."""
        l_real, l_fake = per_sample(batch.d_real, "L(x)"), per_sample(batch.d_fake, "L(x̃)")
        check_paired(batch.x_real, batch.x_fake, self.name)
        diff = (batch.x_real - batch.x_fake).abs().reshape(batch.x_real.shape[0], -1)
        delta = self.margin * diff.mean(dim=1)  # Δ = margin · mean_pixels |x − x̃|
        return delta + l_real - l_fake

    def d_loss(self, batch: Batch) -> torch.Tensor:
        loss = self.lam * self.cost(self.slack(batch)).mean()  # λ E C(Δ + L(x) − L(x̃))
        if self.real_weight:
            loss = loss + self.real_weight * batch.d_real.mean()  # + γ E L(x)
        return loss

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return batch.d_fake.mean()  # E L(x̃)


@OBJECTIVES.register("gls")
@dataclasses.dataclass(frozen=True)
class GeneralizedLossSensitive(LossSensitive):
    """GLS-GAN (Qi 2017, Appendix D; guojunq/glsgan): LS-GAN with C_ν(a) = max(a, νa), ν ≤ 1.

    L_D = γ E L(x) + λ E C_ν(Δ(x, x̃) + L(x) − L(x̃)),  L_G = E L(x̃).
    ν = 0 → LS-GAN; ν = 1 (with γ = 0) → WGAN with critic −L, D gradients scaled by λ;
    ν = −1 → C(a) = |a|. C_ν(a) ≥ a with equality for a ≥ 0 requires ν ≤ 1.
    Default ν = 0.5, strictly between the two special cases (the official default slope 0
    is LS-GAN itself, registered as ``loss_sensitive``).
    """

    benchmark: ClassVar = (
        ("game.params={nu: 0.5, lam: 1.0, margin: 1.0, real_weight: 0.0}", "game.constraints=[{name: clip, c: 0.08}]"),
        "ν=0.5, Δ = 1·mean|x−x̃|, clip ±0.08 (configs/gls.yaml, margin for 2-D)",
    )

    nu: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.nu > 1:
            raise ValueError(f"gls nu must be ≤ 1 (C_ν(a) = max(a, νa) must satisfy C(a) ≥ a), got {self.nu}")

    def cost(self, a: torch.Tensor) -> torch.Tensor:
        return torch.maximum(a, self.nu * a)  # C_ν(a) = max(a, νa)
