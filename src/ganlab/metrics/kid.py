"""Kernel Inception Distance (Bińkowski et al., "Demystifying MMD GANs", ICLR 2018).

Unbiased MMD² with the cubic polynomial kernel k(x, y) = (xᵀy/d + 1)³, averaged over random
subsets (defaults 100 × 1000 as the reference CLI; the subset shrinks to the smaller side when
fewer samples exist, and the size used is reported). Per subset of size m:
    MMD²ᵤ = 1/(m(m−1)) Σ_{i≠j} [k(xᵢ,xⱼ) + k(yᵢ,yⱼ)] − 2/m² Σ_{i,j} k(xᵢ,yⱼ).
KID may be slightly negative: the estimator is unbiased, and that is its point.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, metric
from ganlab.typed import field


def polynomial_mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3, coef0: float = 1.0) -> float:
    """Unbiased MMD² between x (m, d) and y (m, d) with k(a, b) = (aᵀb/d + coef0)^degree."""
    d = x.shape[1]
    k_xx = (x @ x.T / d + coef0) ** degree
    k_yy = (y @ y.T / d + coef0) ** degree
    k_xy = (x @ y.T / d + coef0) ** degree
    m = len(x)
    off_diag = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(off_diag - 2 * k_xy.mean())


def kid_from_features(
    fake: np.ndarray, real: np.ndarray, *, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> dict[str, float]:
    """KID mean and std over ``subsets`` random subsets (without replacement within a subset)."""
    fake, real = np.asarray(fake, np.float64), np.asarray(real, np.float64)
    m = min(subset_size, len(fake), len(real))
    if m < 2:
        raise GanlabError(f"KID needs at least 2 samples per side, got {len(fake)} and {len(real)}", "raise --n")
    rng = np.random.default_rng(seed)
    vals = [
        polynomial_mmd2_unbiased(fake[rng.choice(len(fake), m, replace=False)], real[rng.choice(len(real), m, replace=False)])
        for _ in range(subsets)
    ]
    return {"kid_mean": float(np.mean(vals)), "kid_std": float(np.std(vals)), "kid_subset_size": float(m)}


@dataclasses.dataclass(frozen=True)
class KIDOptions:
    subsets: int = field(100, low=1)  # Bińkowski et al. 2018 / torch-fidelity: 100 subsets of 1,000
    subset_size: int = field(1000, low=2)  # capped at the smaller side's sample count


@metric("kid", options=KIDOptions, better={"kid_mean": False})
def kid(fake: Side, real: Side, o: KIDOptions) -> dict[str, float]:
    """KID: unbiased MMD² with the cubic polynomial kernel, mean ± std over random subsets."""
    return kid_from_features(fake.features(), real.features(), subsets=o.subsets, subset_size=o.subset_size, seed=fake.ctx.seed)
