"""Mode coverage on 2-D Gaussian mixtures (VEEGAN / PacGAN protocol, REFERENCES §3).

- A generated sample is *high quality* (HQ) when it lies within 3 σ of its nearest mode
  (Mahalanobis distance ‖x − μ‖/σ < 3 for the mixtures' isotropic components, as PacGAN).
- A mode is *covered* when it is the nearest mode of at least one HQ sample.
- Reverse KL = KL(p_G ‖ uniform) = Σₖ pₖ log(K pₖ), with pₖ the share of HQ samples whose
  nearest mode is k (the mixtures' components have equal weights). Empty bins: pₖ = 0
  contributes 0 (the limit of p log p); no smoothing is needed because it is the *reverse*
  KL, whose logarithm is only taken where the generator puts mass, so the value is finite
  and in [0, log K]. With no HQ sample at all the histogram is undefined and the value is
  NaN (written as null in JSON).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, metric
from ganlab.typed import field

HQ_STDS = 3.0  # VEEGAN / PacGAN threshold for 2-D mixtures


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(p ‖ uniform over len(counts) bins) = Σ pₖ log(K pₖ), p = counts / Σ counts; 0 · log 0 = 0."""
    counts = np.asarray(counts, np.float64)
    p = counts / counts.sum()
    nz = p > 0
    return float((p[nz] * np.log(len(p) * p[nz])).sum())


def mode_coverage_from_samples(x: np.ndarray, centres: np.ndarray, sigma: float, n_std: float = HQ_STDS) -> dict[str, float]:
    """Modes covered, share of HQ samples and reverse KL of the HQ mode histogram to uniform."""
    x, centres = np.asarray(x, np.float64), np.asarray(centres, np.float64)
    d = np.sqrt(((x[:, None, :] - centres[None, :, :]) ** 2).sum(-1))  # (N, K)
    nearest = d.argmin(1)
    hq = d[np.arange(len(x)), nearest] / sigma < n_std
    counts = np.bincount(nearest[hq], minlength=len(centres))
    reverse_kl = kl_to_uniform(counts) if counts.sum() else float("nan")
    return {
        "modes": float((counts > 0).sum()),
        "n_modes": float(len(centres)),
        "hq": float(hq.mean()),
        "reverse_kl": reverse_kl,
    }


@dataclasses.dataclass(frozen=True)
class ModeOptions:
    n_std: float = field(HQ_STDS, low=0, low_open=True)  # HQ radius in component standard deviations


@metric("mode_coverage", options=ModeOptions, better={"modes": True, "hq": True, "reverse_kl": False}, needs=("centres",),
        needs_what="a Gaussian mixture with known modes (ring8, grid25)", features=False)
def mode_coverage(fake: Side, real: Side, o: ModeOptions) -> dict[str, float]:
    """Modes covered, share of samples within 3σ of a mode, reverse KL to uniform (2-D mixtures)."""
    ds = fake.ctx.dataset
    if ds is None or getattr(ds, "centres", None) is None:
        raise GanlabError(
            "mode_coverage needs a Gaussian-mixture data set (ring8, grid25) with its mode centres",
            "evaluate against such a data set, or drop mode_coverage",
        )
    return mode_coverage_from_samples(fake.x.reshape(len(fake.x), -1).numpy(), ds.centres, ds.sigma, o.n_std)
