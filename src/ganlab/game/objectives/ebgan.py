"""Energy-based GAN (Zhao, Mathieu & LeCun, "Energy-based Generative Adversarial Network",
ICLR 2017).

D is an autoencoder (``ganlab.nets.autoencoder``) and its energy is the reconstruction error:
low on real data, high elsewhere. With E(x) = mean_pixels (D(x) − x)² per sample and margin m:

    L_D = E E(x) + E [m − E(x̃)]₊,        L_G = E E(x̃)  (+ β · pulling-away term, optional)

Choices: the paper's energy is the Euclidean norm ‖Dec(Enc(x)) − x‖; we use the per-sample
*mean squared* error, as most implementations do, so the margin does not depend on the image
size (m = 1 by default, for data in [−1, 1]). The pulling-away term (paper eq. 7, weight
0.1 there) needs the encoder's code of the fakes, i.e. one more encoder pass; it is off by
default and needs a D with an ``encode`` method.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective


def energy(reconstruction: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """E(x) = mean over pixels of (D(x) − x)², shape (B,)."""
    if reconstruction.shape != x.shape:
        raise ValueError(
            f"ebgan needs an autoencoder D whose output has the input's shape {tuple(x.shape)}, "
            f"got {tuple(reconstruction.shape)}"
        )
    return (reconstruction - x).pow(2).reshape(x.shape[0], -1).mean(dim=1)


def pulling_away(code: torch.Tensor) -> torch.Tensor:
    """f_PT = 1/(N(N−1)) Σ_{i≠j} (s_iᵀs_j / (‖s_i‖‖s_j‖))² on the codes s of a batch (paper eq. 7)."""
    s = code.reshape(code.shape[0], -1)
    n = s.shape[0]
    if n < 2:
        return s.new_zeros(())
    unit = s / s.pow(2).sum(dim=1, keepdim=True).clamp_min(1e-24).sqrt()
    cos2 = (unit @ unit.T).pow(2)
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


@OBJECTIVES.register("ebgan")
@dataclasses.dataclass(frozen=True)
class EBGAN(Objective):
    """EBGAN: L_D = E E(x) + E[m − E(x̃)]₊,  L_G = E E(x̃) + β f_PT,  E = per-sample MSE of the autoencoder D.

    ``margin`` m = 1, ``pt_weight`` β = 0 (paper: 0.1 with the pulling-away term).
    """

    output: ClassVar[str] = "energy"
    benchmark: ClassVar = (("game.params={margin: 1.0, pt_weight: 0.0}",), "autoencoder D, margin 1 (configs/ebgan.yaml)")
    margin: float = 1.0
    pt_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.margin < 0 or self.pt_weight < 0:
            raise ValueError("ebgan margin and pt_weight must be ≥ 0")

    def d_loss(self, batch: Batch) -> torch.Tensor:
        e_real = energy(batch.d_real, batch.x_real)
        e_fake = energy(batch.d_fake, batch.x_fake)
        return e_real.mean() + F.relu(self.margin - e_fake).mean()  # E E(x) + E[m − E(x̃)]₊

    def g_loss(self, batch: Batch) -> torch.Tensor:
        loss = energy(batch.d_fake, batch.x_fake).mean()
        if self.pt_weight:
            encode = getattr(batch.D, "encode", None)
            if encode is None:
                raise ValueError("ebgan pt_weight > 0 needs a D with an encode(x) method (an autoencoder)")
            loss = loss + self.pt_weight * pulling_away(encode(batch.x_fake))
        return loss
