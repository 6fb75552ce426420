"""MMD GAN (Li, Chang, Cheng, Yang & Póczos, "MMD GAN: Towards Deeper Understanding of Moment
Matching Network", NIPS 2017).

D is a feature map h: x ↦ Rⁿ; the game is the squared maximum mean discrepancy between the
feature distributions under a fixed characteristic kernel k:

    MMD²(p, q) = E k(h_r, h_r′) − 2 E k(h_r, h_f) + E k(h_f, h_f′)
    L_D = −MMD²   (D learns features in which the two samples differ most)
    L_G = +MMD²

Kernel: a mixture of Gaussian RBF kernels k(a, b) = Σ_σ exp(−‖a − b‖² / (2σ²)) with bandwidths
σ ∈ {1, 2, 4, 8, 16} (the official OctoberChang/MMD-GAN code's ``sigma_list``), on D's raw
feature vectors. The paper also trains D's features as an autoencoder and adds a one-sided
penalty; those are not part of this objective (add penalties separately).

Estimator: ``estimator="biased"`` (default, the official code's ``biased=True``) averages all
pairs including i = j (≥ 0, defined for a single sample); "unbiased" drops the i = j terms of
the within-sample averages (Gretton et al. 2012, needs ≥ 2 samples per side).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective


def mixture_rbf(a: torch.Tensor, b: torch.Tensor, sigmas: tuple[float, ...]) -> torch.Tensor:
    """Kernel matrix K_ij = Σ_σ exp(−‖a_i − b_j‖² / (2σ²)), shape (len(a), len(b)).

    Squared distances are formed from differences (not ‖a‖² + ‖b‖² − 2aᵀb), so they are exact
    and non-negative even for D outputs of size 50.
    """
    sq = (a[:, None, :] - b[None, :, :]).pow(2).sum(dim=-1)
    return sum(torch.exp(-sq / (2.0 * s * s)) for s in sigmas)


def mmd2(h_real: torch.Tensor, h_fake: torch.Tensor, sigmas: tuple[float, ...], unbiased: bool = False) -> torch.Tensor:
    """MMD² between the rows of ``h_real`` (m, n) and ``h_fake`` (k, n) with a mixture-RBF kernel."""
    k_rr = mixture_rbf(h_real, h_real, sigmas)
    k_ff = mixture_rbf(h_fake, h_fake, sigmas)
    k_rf = mixture_rbf(h_real, h_fake, sigmas)
    m, k = k_rr.shape[0], k_ff.shape[0]
    if unbiased:
        if m < 2 or k < 2:
            raise ValueError("the unbiased MMD² estimator needs at least 2 samples per side")
        e_rr = (k_rr.sum() - k_rr.diagonal().sum()) / (m * (m - 1))
        e_ff = (k_ff.sum() - k_ff.diagonal().sum()) / (k * (k - 1))
    else:
        e_rr, e_ff = k_rr.mean(), k_ff.mean()
    return e_rr - 2.0 * k_rf.mean() + e_ff


@OBJECTIVES.register("mmd")
@dataclasses.dataclass(frozen=True)
class MMD(Objective):
    """MMD GAN: L_D = −MMD²(h(x), h(x̃)),  L_G = MMD²(h(x), h(x̃)), mixture of Gaussian kernels.

    ``sigmas`` = (1, 2, 4, 8, 16) bandwidths (official code), ``estimator`` "biased" | "unbiased".
    D's output h is a feature vector, shape (B, n).
    """

    output: ClassVar[str] = "vector"
    benchmark: ClassVar = (
        ("game.constraints=[{name: clip, c: 0.01}]", "train.n_critic=5", "train.batch_size=64", "train.optimizer_d=rmsprop",
         "train.optimizer_g=rmsprop", "train.lr_d=5e-5", "train.lr_g=5e-5"),
        "Gaussian kernels σ∈{1..16}, clip ±0.01, RMSProp 5e-5, n_D=5, batch 64 (configs/mmd.yaml)",
    )  # fmt: skip
    sigmas: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
    estimator: str = "biased"

    def __post_init__(self) -> None:
        if self.estimator not in ("biased", "unbiased"):
            raise ValueError(f"mmd estimator must be 'biased' or 'unbiased', got {self.estimator!r}")
        if not self.sigmas or any(not s > 0 for s in self.sigmas):
            raise ValueError(f"mmd sigmas must be a non-empty list of positive bandwidths, got {self.sigmas!r}")

    def mmd2(self, batch: Batch) -> torch.Tensor:
        h_r = batch.d_real.reshape(batch.d_real.shape[0], -1)
        h_f = batch.d_fake.reshape(batch.d_fake.shape[0], -1)
        return mmd2(h_r, h_f, tuple(self.sigmas), unbiased=self.estimator == "unbiased")

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return -self.mmd2(batch)

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return self.mmd2(batch)
