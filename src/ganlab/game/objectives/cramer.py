"""Cramér GAN (Bellemare, Danihelka, Dabney, Mohamed, Lakshminarayanan, Hoyer & Munos,
"The Cramer Distance as a Solution to Biased Wasserstein Gradients", arXiv 1705.10743, 2017,
Algorithm 1).

D is a feature map h: x ↦ Rⁿ. With a real x_r and two *independent* fakes x_g, x_g′:

    critic       f(x) = ‖h(x) − h(x_g′)‖ − ‖h(x)‖
    surrogate    L_s  = E f(x_r) − E f(x_g)
    L_D = −L_s + λ E (‖∇_x̂ f(x̂)‖ − 1)²     x̂ = x_r + α(x_g − x_r), α ~ U[0, 1]
    L_G = E‖h(x_r) − h(x_g)‖ + E‖h(x_r) − h(x_g′)‖ − E‖h(x_g) − h(x_g′)‖   (the energy distance
          in feature space, whose sample gradients are unbiased)

One batch, two fake batches: the paper draws x_g and x_g′ independently. We split the fake
batch into halves, x_g = x_f[:m] and x_g′ = x_f[m:2m] with m = ⌊B/2⌋, which are independent
because the generator's noise is i.i.d. across the batch; the reals are paired with them as
x_r[:m] (an odd last sample is left out). The batch needs at least 2 fakes and m reals.

The gradient penalty is on the critic f (not on h), so it belongs to this objective rather
than to the generic ``gp`` penalty, which differentiates D's summed output: ``gp_weight`` λ =
10 (paper). It costs one more D forward pass on x̂. Norms use a safe square root, so
coinciding features (h_g = h_g′, e.g. a collapsed G) give finite gradients.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective
from ganlab.game.objectives._common import safe_norm
from ganlab.game.penalties import grad_sq_norm, interpolates

_EPS = 1e-12  # keeps d‖∇f‖/d∇f finite where ∇f = 0 (as the gp penalty does)


def _flat(h: torch.Tensor) -> torch.Tensor:
    return h.reshape(h.shape[0], -1)


@OBJECTIVES.register("cramer")
@dataclasses.dataclass(frozen=True)
class Cramer(Objective):
    """Cramér GAN: L_G = E‖h_r − h_g‖ + E‖h_r − h_g′‖ − E‖h_g − h_g′‖ (energy distance of critic features).

    Bellemare et al. 2017, Algorithm 1; one fake batch split into two halves.

    f(x) = ‖h(x) − h(x_g′)‖ − ‖h(x)‖;  L_D = −(E f(x_r) − E f(x_g)) + λ E(‖∇f(x̂)‖ − 1)²;
    L_G = E‖h_r − h_g‖ + E‖h_r − h_g′‖ − E‖h_g − h_g′‖.  ``gp_weight`` λ = 10; 0 turns it off.
    """

    output: ClassVar[str] = "vector"
    benchmark: ClassVar = (
        ("game.params={gp_weight: 10.0}", "train.batch_size=64", "train.n_critic=5", "train.lr_d=1e-4", "train.lr_g=1e-4",
         "train.betas_d=[0.0, 0.9]", "train.betas_g=[0.0, 0.9]"),
        "own GP λ=10, n_D=5, Adam 1e-4 β=(0, 0.9), batch 64 (configs/cramer.yaml)",
    )  # fmt: skip
    gp_weight: float = 10.0  # Bellemare et al. 2017, Algorithm 1

    def __post_init__(self) -> None:
        if self.gp_weight < 0:
            raise ValueError(f"cramer gp_weight must be ≥ 0, got {self.gp_weight}")

    @staticmethod
    def _halves(batch: Batch) -> tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]:
        m = batch.x_fake.shape[0] // 2
        if m < 1 or batch.x_real.shape[0] < m:
            raise ValueError("cramer needs at least 2 fake samples and half as many real ones per batch")
        h_f = _flat(batch.d_fake)
        return m, _flat(batch.d_real)[:m], h_f[:m], h_f[m : 2 * m]

    def d_loss(self, batch: Batch) -> torch.Tensor:
        m, h_r, h_g, h_g2 = self._halves(batch)

        def critic(h: torch.Tensor) -> torch.Tensor:  # f = ‖h − h(x_g′)‖ − ‖h‖, shape (m,)
            return safe_norm(h - h_g2) - safe_norm(h)

        loss = -(critic(h_r).mean() - critic(h_g).mean())  # −L_s
        if self.gp_weight:
            x_hat = interpolates(batch.x_real[:m], batch.x_fake[:m], batch.uniform(batch.x_real[:m]))
            score = batch.critic("real")
            sq = grad_sq_norm(lambda x: critic(_flat(score(x))), x_hat)
            loss = loss + self.gp_weight * ((sq + _EPS).sqrt() - 1).pow(2).mean()  # λ E(‖∇f(x̂)‖ − 1)²
        return loss

    def g_loss(self, batch: Batch) -> torch.Tensor:
        _, h_r, h_g, h_g2 = self._halves(batch)
        return safe_norm(h_r - h_g).mean() + safe_norm(h_r - h_g2).mean() - safe_norm(h_g - h_g2).mean()
