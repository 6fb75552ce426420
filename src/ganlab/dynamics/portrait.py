"""Phase portraits of a Dirac-GAN path (PNG). matplotlib is imported only when drawing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganlab.dynamics.simulate import Result


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window (tests and servers have no display)
    import matplotlib.pyplot as plt

    return plt


def save_portrait(result: Result, path: str | Path, *, title: str | None = None) -> Path:
    """Two panels: θ₁ vs θ₂ (with the EMA of θ) and φ₁ vs θ₁; the equilibrium is a red dot."""
    plt = _plt()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    x = result.path.x
    ok = np.isfinite(x).all(axis=1)
    theta, ema = result.theta[ok], result.theta_ema[ok]
    phi1 = x[ok, result.dirac.blocks[0].start]
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))

    ax = axes[0]
    t2 = theta[:, 1] if theta.shape[1] > 1 else np.zeros(len(theta))
    e2 = ema[:, 1] if ema.shape[1] > 1 else np.zeros(len(ema))
    ax.plot(theta[:, 0], t2, lw=0.7, color="tab:blue", label="θ")
    ax.plot(ema[:, 0], e2, lw=1.2, color="tab:orange", label="EMA of θ")
    ax.plot(theta[0, 0], t2[0], "o", color="tab:green", ms=5, label="start")
    ax.plot(theta[-1, 0], t2[-1], "s", color="tab:blue", ms=4, label="end")
    ax.plot(0, 0, "o", color="red", ms=6, label="equilibrium")
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=7, loc="best")
    ax.set_title(f"θ: {result.verdict.label};  EMA: {result.ema_verdict.label}", fontsize=9)

    ax = axes[1]
    ax.plot(phi1, theta[:, 0], lw=0.7, color="tab:purple")
    ax.plot(phi1[0], theta[0, 0], "o", color="tab:green", ms=5)
    ax.plot(0, 0, "o", color="red", ms=6)
    ax.set_xlabel("φ₁")
    ax.set_ylabel("θ₁")
    ax.set_title(f"eigenvalues at 0: {result.spectrum.short(2)}"[:70], fontsize=9)

    fig.suptitle(title or result.label, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
