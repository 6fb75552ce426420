"""2-D Gaussian mixtures of the mode-collapse benchmark (PacGAN, Lin et al. 2018, §5.1).

``ring8``: 8 equal-weight Gaussians, means (cos 2πi/8, sin 2πi/8), radius 1, σ = 0.01.
``grid25``: 25 Gaussians with means on {−4, −2, 0, 2, 4}², σ = 0.05.
A sample is "high quality" within 3σ of its nearest mode (VEEGAN, PacGAN).
"""

from __future__ import annotations

import numpy as np
import torch

from ganlab.data.base import Dataset, dataset

MIXTURE_METRICS = ("mode_coverage", "precision_recall", "equilibrium")


def ring8_centres(radius: float = 1.0) -> np.ndarray:
    """(8, 2) means evenly spaced on a circle (2πi/8, i = 0..7: eight distinct modes)."""
    angles = 2 * np.pi * np.arange(8) / 8
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid25_centres() -> np.ndarray:
    """(25, 2) means on {−4, −2, 0, 2, 4}²."""
    ticks = np.arange(-4.0, 5.0, 2.0)
    return np.array([(x, y) for x in ticks for y in ticks])


def sample_mixture(centres: np.ndarray, sigma: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points from the equal-weight isotropic mixture; returns (n, dim) float64."""
    comp = rng.integers(len(centres), size=n)
    return centres[comp] + sigma * rng.standard_normal((n, centres.shape[1]))


def mixture_dataset(name: str, centres: np.ndarray, sigma: float, n_points: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    n_eval = max(1000, n_points // 10)
    train, val, test = (
        torch.from_numpy(sample_mixture(centres, sigma, n, rng)).float() for n in (n_points, n_eval, n_eval)
    )
    return Dataset(
        name=name,
        kind="points",
        train=train,
        val=val,
        test=test,
        centres=centres,
        sigma=sigma,
        info={"source": "generated", "seed": seed, "n_train": n_points},
    )


@dataset("ring8", kind="points", metrics=MIXTURE_METRICS)
def ring8(cfg) -> Dataset:
    """8 Gaussians on the unit circle, σ = 0.01 (PacGAN's ring)."""
    return mixture_dataset("ring8", ring8_centres(), 0.01, cfg.n_points, cfg.seed)


@dataset("grid25", kind="points", metrics=MIXTURE_METRICS)
def grid25(cfg) -> Dataset:
    """25 Gaussians on {−4, −2, 0, 2, 4}², σ = 0.05 (PacGAN's grid)."""
    return mixture_dataset("grid25", grid25_centres(), 0.05, cfg.n_points, cfg.seed)
