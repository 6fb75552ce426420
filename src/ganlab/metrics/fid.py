"""Fréchet Inception Distance (Heusel et al. 2017, TTUR) on any feature network.

FID = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½), in float64 with the unbiased (N − 1) covariance
as TTUR's reference code. Tr (Σ₁Σ₂)^½ = Σᵢ √λᵢ(Σ₁Σ₂) (REFERENCES §5.3): the eigenvalues of
the product are real and ≥ 0 in exact arithmetic (it is similar to Σ₁^½ Σ₂ Σ₁^½) but the
product is not symmetric, so they come from ``eigvals`` — never ``eigvalsh`` — and the tiny
imaginary or negative parts that rounding leaves are dropped by taking the real part of the
complex square root. ``method="sqrtm"`` is the TTUR / pytorch-fid route (scipy sqrtm with a
1e-6·I offset when the result is not finite), kept as an independent cross-check.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, metric
from ganlab.typed import field


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and unbiased covariance (d, d) in float64."""
    f = np.asarray(features, dtype=np.float64)
    if len(f) < 2:
        raise GanlabError(f"FID needs at least 2 samples per side, got {len(f)}", "raise --n")
    return f.mean(0), np.cov(f, rowvar=False, ddof=1).reshape(f.shape[1], f.shape[1])


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray, method: str = "eigvals") -> float:
    """Tr (Σ₁Σ₂)^½."""
    if method == "eigvals":
        lam = np.linalg.eigvals(sigma1 @ sigma2).astype(np.complex128)
        return float(np.sqrt(lam).real.sum())  # negative rounding noise → imaginary root → 0
    if method == "sqrtm":
        import scipy.linalg

        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():  # singular product: nudge both covariances (TTUR)
            offset = 1e-6 * np.eye(len(sigma1))
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
        return float(np.trace(covmean).real)
    raise GanlabError(f'unknown FID square-root method "{method}"', "use eigvals or sqrtm")


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, method: str = "eigvals") -> float:
    """‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁Σ₂)^½ for two Gaussians (float64)."""
    mu1, mu2 = np.atleast_1d(np.float64(mu1)), np.atleast_1d(np.float64(mu2))
    sigma1, sigma2 = np.atleast_2d(np.float64(sigma1)), np.atleast_2d(np.float64(sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise GanlabError(
            f"FID statistics have different shapes: {mu1.shape} vs {mu2.shape}",
            "compute both sides with the same feature network",
        )
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2, method))


def fid_from_features(fake: np.ndarray, real: np.ndarray, method: str = "eigvals") -> float:
    """FID between two feature sets (N₁, d) and (N₂, d); first generated, second real."""
    return frechet_distance(*feature_stats(fake), *feature_stats(real), method=method)


def save_stats(path: str | Path, mu: np.ndarray, sigma: np.ndarray) -> None:
    """Write reference statistics as .npz with arrays ``mu`` and ``sigma`` (the TTUR format)."""
    np.savez(path, mu=np.float64(mu), sigma=np.float64(sigma))


def load_stats(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read ``mu`` and ``sigma`` from a TTUR-style .npz."""
    try:
        with np.load(path) as f:
            return f["mu"].astype(np.float64), f["sigma"].astype(np.float64)
    except FileNotFoundError:
        raise GanlabError(f"FID statistics file {path} not found", "check the path") from None
    except KeyError:
        raise GanlabError(f"{path} has no 'mu' and 'sigma' arrays", "write it with ganlab.metrics.save_stats") from None


@dataclasses.dataclass(frozen=True)
class FIDOptions:
    method: str = field("eigvals", choices=("eigvals", "sqrtm"))  # Σᵢ√λᵢ(Σ₁Σ₂) (torch-fidelity) or scipy's sqrtm (TTUR)
    real_stats: str | None = None  # .npz with mu and sigma replacing the real side (e.g. TTUR's precomputed statistics)


@metric("fid", options=FIDOptions, better={"fid": False})
def fid(fake: Side, real: Side, o: FIDOptions) -> dict[str, float]:
    """Fréchet distance of feature Gaussians; ``real_stats`` (.npz with mu, sigma) replaces the real side."""
    mu1, s1 = feature_stats(fake.features())
    mu2, s2 = load_stats(o.real_stats) if o.real_stats else feature_stats(real.features())
    return {"fid": frechet_distance(mu1, s1, mu2, s2, method=o.method)}
