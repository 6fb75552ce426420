"""The original GAN (Goodfellow et al. 2014) with its three generator losses.

All three share the discriminator loss, binary cross-entropy on D's logit d:
    L_D = −E log σ(d_r) − E log(1 − σ(d_f)) = E softplus(−d_r) + E softplus(d_f).
They differ only in L_G (seed 001). Written with softplus so that logits of ±50 stay finite.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective
from ganlab.typed import field


def bce_d_loss(batch: Batch, smoothing: float = 0.0) -> torch.Tensor:
    """−E log σ(d_r) − E log(1 − σ(d_f)); with one-sided label smoothing ε the real target is
    1 − ε: −(1 − ε) E log σ(d_r) − ε E log(1 − σ(d_r)) − E log(1 − σ(d_f)) (Salimans et al. 2016,
    §3.4; TF-GAN's label_smoothing=s is ε = s/2, its targets being smoothed toward ½)."""
    if not smoothing:
        return F.softplus(-batch.d_real).mean() + F.softplus(batch.d_fake).mean()
    real = (1 - smoothing) * F.softplus(-batch.d_real) + smoothing * F.softplus(batch.d_real)
    return real.mean() + F.softplus(batch.d_fake).mean()


@OBJECTIVES.register("minimax")
@dataclasses.dataclass(frozen=True)
class Minimax(Objective):
    """Zero-sum GAN: L_D = −E log σ(d_r) − E log(1−σ(d_f)),  L_G = E log(1 − σ(d_f)).

    Goodfellow et al. 2014, eq. 1. G minimises exactly −L_D's fake term; ∂L_G/∂d_f = −σ(d_f)
    vanishes when D confidently rejects fakes (d_f → −∞): the loss saturates early in training.
    """

    label_smoothing: float = field(0.0, low=0, high=1, high_open=True)  # ε: real target 1 − ε (0: none)

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return bce_d_loss(batch, self.label_smoothing)

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return -F.softplus(batch.d_fake).mean()  # E log(1 − σ(d_f))


@OBJECTIVES.register("non_saturating")
@dataclasses.dataclass(frozen=True)
class NonSaturating(Objective):
    """Non-saturating GAN: L_D as minimax,  L_G = −E log σ(d_f).

    Goodfellow et al. 2014, §3 ("heuristic" game). ∂L_G/∂d_f = −(1 − σ(d_f)): strong gradients
    exactly where the minimax loss saturates; same fixed point.
    """

    label_smoothing: float = field(0.0, low=0, high=1, high_open=True)  # ε: real target 1 − ε (0: none)

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return bce_d_loss(batch, self.label_smoothing)

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return F.softplus(-batch.d_fake).mean()  # −E log σ(d_f)


@OBJECTIVES.register("max_likelihood")
@dataclasses.dataclass(frozen=True)
class MaxLikelihood(Objective):
    """Maximum-likelihood generator loss: L_D as minimax,  L_G = −½ E exp(d_f) = −½ E exp(σ⁻¹(D)).

    Goodfellow 2014, "On distinguishability criteria for estimating generative models"
    (arXiv 1412.6515), NIPS 2016 tutorial §3.2.4. With the optimal D, e^{d} = p_data/p_G and the
    expected gradient equals that of KL(p_data ‖ p_G). ∂L_G/∂d_f = −½ e^{d_f}.
    """

    label_smoothing: float = field(0.0, low=0, high=1, high_open=True)  # ε: real target 1 − ε (0: none)

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return bce_d_loss(batch, self.label_smoothing)

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return -0.5 * torch.exp(batch.d_fake).mean()  # −½ E e^{d_f}
