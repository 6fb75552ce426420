"""Sphere GAN (Park & Kwon, "Sphere Generative Adversarial Network Based on Geometric Moment
Matching", CVPR 2019; MISSION §1.1, REFERENCES §1.1).

D maps x to f ∈ Rⁿ (a ``VectorHead``); the geometric block projects f onto the sphere Sⁿ ⊂ Rⁿ⁺¹
by inverse stereographic projection, and the game compares the first R moments of the
geodesic distance to the north pole N = (0, …, 0, 1):

    L_D = −Σ_r E d_s^r(N, Π⁻¹(f(x))) / w_r + Σ_r E d_s^r(N, Π⁻¹(f(x̃))) / w_r
    L_G = −Σ_r E d_s^r(N, Π⁻¹(f(x̃))) / w_r

D pushes reals away from N and fakes towards it; G pushes fakes away (the signs of every code
checked, REFERENCES §1.1). It is an IPM on the sphere, bounded by π^r, so no gradient
penalty is needed.

Numerics: d_s(N, Π⁻¹(f)) = arccos((‖f‖² − 1)/(‖f‖² + 1)) = 2·atan2(1, ‖f‖), which has a
finite gradient everywhere, unlike arccos at ±1 (both reference codes call arccos unclamped).
‖f‖ itself is a cone at f = 0: a safe norm gives the subgradient 0 there.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective
from ganlab.game.objectives._common import safe_norm

# per-moment divisor w_r = base^r, the official SWPark92/SphereGAN code's weight modes
# (SphereGAN.py, dist_weight_mode): "one" → 1 (its default), "half" → π^r, "normalization" →
# ((1/decay_ratio)·π)^r with decay_ratio = 3, i.e. (π/3)^r
DECAY_RATIO = 3
_DIVISOR_BASE = {"one": 1.0, "half": math.pi, "normalization": math.pi / DECAY_RATIO}


def inverse_stereographic(f: torch.Tensor) -> torch.Tensor:
    """Π⁻¹(f) = (2f/(‖f‖² + 1), (‖f‖² − 1)/(‖f‖² + 1)) ∈ Sⁿ for f ∈ Rⁿ (last dimension).

    Computed from f itself (the TensorFlow snippet of seed 002 computes the last coordinate
    from the projected coordinates, which leaves the sphere). For ‖f‖ > 1 the fractions are
    rewritten in q = 1/‖f‖² so that nothing overflows: 2/(s + 1) = 2q/(1 + q) and
    (s − 1)/(s + 1) = (1 − q)/(1 + q). ‖p‖ = 1 to float precision for any finite f.
    """
    s = f.pow(2).sum(dim=-1, keepdim=True)  # ‖f‖²
    small = s <= 1
    s_small = s.clamp_max(1.0)
    q = 1.0 / s.clamp_min(1.0)  # 1/‖f‖² where ‖f‖ > 1, else 1 (unused)
    scale = torch.where(small, 2.0 / (s_small + 1.0), 2.0 * q / (1.0 + q))
    last = torch.where(small, (s_small - 1.0) / (s_small + 1.0), (1.0 - q) / (1.0 + q))
    return torch.cat([f * scale, last], dim=-1)


def north_pole_distance(f: torch.Tensor) -> torch.Tensor:
    """d_s(N, Π⁻¹(f)) = arccos(p_{n+1}) = 2·atan2(1, ‖f‖) ∈ (0, π], shape f.shape[:-1]."""
    return 2.0 * torch.atan2(torch.ones((), dtype=f.dtype, device=f.device), safe_norm(f, dim=-1))


@OBJECTIVES.register("sphere")
@dataclasses.dataclass(frozen=True)
class Sphere(Objective):
    """Sphere GAN: L_D = −Σ_r E d_s^r(N, Π⁻¹(d_r)) + Σ_r E d_s^r(N, Π⁻¹(d_f)),  L_G = −Σ_r E d_s^r(N, Π⁻¹(d_f)).

    Moments r = 1..R of the geodesic distance d_s from the north pole N (Park & Kwon 2019).

    L_D = −Σ_r E d_s^r(real)/w_r + Σ_r E d_s^r(fake)/w_r,   L_G = −Σ_r E d_s^r(fake)/w_r.
    ``moments`` R = 3 (paper; R = 5 for its ConvNets; the official large runs used R = 1),
    ``divisor`` w_r: "one" (1), "half" (π^r) or "normalization" ((π/3)^r), the official code's modes.
    D's output is f ∈ Rⁿ, shape (B, n) (paper: n = 1024).
    """

    output: ClassVar[str] = "vector"
    benchmark: ClassVar = (
        ("game.params={moments: 3}", "model.init=xavier", "train.lr_d=1e-4", "train.lr_g=1e-4", "train.betas_d=[0.0, 0.9]",
         "train.betas_g=[0.0, 0.9]"),
        "R=3, d_out 16, Adam 1e-4 β=(0, 0.9), Xavier (configs/sphere.yaml)",
    )  # fmt: skip
    moments: int = 3
    divisor: str = "one"

    def __post_init__(self) -> None:
        if self.moments < 1:
            raise ValueError(f"sphere moments must be ≥ 1, got {self.moments}")
        if self.divisor not in _DIVISOR_BASE:
            raise ValueError(f"sphere divisor must be one of {', '.join(_DIVISOR_BASE)}; got {self.divisor!r}")

    def moment_sum(self, f: torch.Tensor) -> torch.Tensor:
        """Σ_{r=1..R} E d_s^r(N, Π⁻¹(f)) / w_r over the batch (a scalar)."""
        dist = north_pole_distance(f.reshape(f.shape[0], -1))
        base = _DIVISOR_BASE[self.divisor]
        return sum(dist.pow(r).mean() / base**r for r in range(1, self.moments + 1))

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return -self.moment_sum(batch.d_real) + self.moment_sum(batch.d_fake)

    def g_loss(self, batch: Batch) -> torch.Tensor:
        return -self.moment_sum(batch.d_fake)
