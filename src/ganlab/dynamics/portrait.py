"""Phase portraits of a Dirac-GAN path (PNG), drawn by ``ganlab.plots``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganlab import plots
from ganlab.dynamics.simulate import Result


def save_portrait(result: Result, path: str | Path, *, title: str | None = None) -> Path:
    """Two panels: θ₁ vs θ₂ (with the EMA of θ) and φ₁ vs θ₁; the equilibrium is a red dot."""
    x = result.path.x
    ok = np.isfinite(x).all(axis=1)
    phi1 = x[ok, result.dirac.blocks[0].start]
    return plots.save_portrait(
        result.theta[ok], result.theta_ema[ok], phi1, path, title=title or result.label,
        theta_title=f"θ: {result.verdict.label};  EMA: {result.ema_verdict.label}",
        phi_title=f"eigenvalues at 0: {result.spectrum.short(2)}",
    )  # fmt: skip
