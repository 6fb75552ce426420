"""Pictures, all of them: sample grids, 2-D scatter plots, curves with bands, phase portraits.

Every matplotlib call of ganlab lives here (imported lazily, Agg backend: files only, never a
window). Callers describe *what* to draw — ``Series`` on ``Panel``s — and get a PNG file (or
its bytes, for the HTML report); nothing else in the package imports matplotlib.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only (tests and servers have no display)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path | None, dpi: int = 100) -> bytes | None:
    """Write ``fig`` to ``path`` (PNG), or return its PNG bytes when ``path`` is None; closes it."""
    plt = _plt()
    try:
        fig.tight_layout()
        if path is None:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi)
            return buf.getvalue()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
        return None
    finally:
        plt.close(fig)


# --- curves ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Series:
    """One line: y against x, with an optional band (lo, hi) around it."""

    label: str | None
    x: Sequence[float]
    y: Sequence[float]
    lo: Sequence[float] | None = None
    hi: Sequence[float] | None = None
    style: str = "-"  # matplotlib line style; "o-" adds markers
    colour: str | None = None
    alpha: float = 1.0


@dataclasses.dataclass
class Panel:
    """One set of axes."""

    series: list[Series]
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    logy: bool = False
    ylim: tuple[float, float] | None = None
    hline: float | None = None  # a grey reference line (e.g. a threshold)
    vline: float | None = None  # a grey vertical line (e.g. a chosen budget)


def save_panels(panels: Sequence[Panel], path: str | Path | None, *, cols: int | None = None, size: tuple[float, float] = (5.0, 3.6),
                title: str | None = None, dpi: int = 90) -> bytes | None:  # fmt: skip
    """Panels side by side (``cols`` per row); PNG at ``path``, or its bytes when ``path`` is None."""
    plt = _plt()
    cols = cols or len(panels)
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    for ax, panel in zip(axes.flat, panels):
        for i, s in enumerate(panel.series):
            colour = s.colour or f"C{i % 10}"
            marker = "o" if "o" in s.style else None
            ls = s.style.replace("o", "") or "-"
            ax.plot(s.x, s.y, ls=ls, marker=marker, ms=3, color=colour, alpha=s.alpha, label=s.label)
            if s.lo is not None and s.hi is not None:
                lo = np.maximum(np.asarray(s.lo, float), 1e-12) if panel.logy else s.lo
                ax.fill_between(s.x, lo, s.hi, color=colour, alpha=0.2)
        if panel.logy:
            ax.set_yscale("log")
        if panel.ylim is not None:
            ax.set_ylim(*panel.ylim)
        if panel.hline is not None:
            ax.axhline(panel.hline, color="grey", lw=0.8, ls="--")
        if panel.vline is not None:
            ax.axvline(panel.vline, color="grey", lw=0.8, ls=":")
        ax.set_title(panel.title, fontsize=9)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
        if any(s.label for s in panel.series):
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path, dpi)


def save_loss_curves(records: Sequence[dict], path: str | Path, title: str | None = None) -> None:
    """One panel per player with every named loss term against the step."""
    keys = sorted({k for r in records for k in r if "/" in k})
    players = sorted({k.split("/")[0] for k in keys}) or ["D", "G"]
    panels = []
    for player in players:
        series = []
        for key in (k for k in keys if k.startswith(player + "/")):
            pts = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))]
            if pts:
                s, v = zip(*pts)
                series.append(Series(key.split("/", 1)[1], s, v))
        panels.append(Panel(series, f"{player} loss terms", "generator step"))
    save_panels(panels, path, title=title, dpi=100)


# --- samples -----------------------------------------------------------------------------------
def image_grid(x: torch.Tensor | np.ndarray, nrow: int | None = None, pad: int = 1) -> np.ndarray:
    """(N, C, H, W) images in [−1, 1] → one (H', W', C) array in [0, 1] laid out in a grid."""
    x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float32)
    n, c, h, w = x.shape
    nrow = nrow or int(np.ceil(np.sqrt(n)))
    ncol = int(np.ceil(n / nrow))
    grid = np.ones((ncol * (h + pad) + pad, nrow * (w + pad) + pad, c), dtype=np.float32)
    x = np.clip((x + 1) / 2, 0, 1).transpose(0, 2, 3, 1)
    for i in range(n):
        r, k = divmod(i, nrow)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + k * (w + pad) : pad + k * (w + pad) + w] = x[i]
    return grid


def save_image_grid(x: torch.Tensor, path: str | Path, nrow: int | None = None, title: str | None = None) -> None:
    plt = _plt()
    grid = image_grid(x, nrow)
    size = max(3.0, min(10.0, grid.shape[1] / 20))
    fig, ax = plt.subplots(figsize=(size, size * grid.shape[0] / grid.shape[1] + (0.4 if title else 0)))
    _show(ax, grid)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    _save(fig, path, 100)


def _show(ax: Any, grid: np.ndarray) -> None:
    gray = grid.shape[2] == 1
    ax.imshow(grid[..., 0] if gray else grid, cmap="gray" if gray else None, vmin=0, vmax=1, interpolation="nearest")


def _small_panels(n: int, cols: int, height: float) -> tuple[Any, list[Any]]:
    """A figure of ``n`` small panels, ``cols`` per row, every axis off until a panel draws on it."""
    nrow = -(-n // cols)
    fig, axes = _plt().subplots(nrow, cols, figsize=(2 * cols, height * nrow), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, list(axes.flat)


def save_image_panels(panels: Sequence[tuple[str, Any]], path: str | Path, cols: int = 6) -> None:
    """Small image grids side by side, one per (title, (N, C, H, W) images in [−1, 1])."""
    fig, axes = _small_panels(len(panels), cols, 2.2)
    for ax, (title, x) in zip(axes, panels):
        _show(ax, image_grid(x))
        ax.set_title(title, fontsize=7)
    _save(fig, path, 80)


def _scatter(ax: Any, pts: np.ndarray, centres: np.ndarray | None, real: np.ndarray | None, small: bool) -> None:
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.75", label="real")
    ax.scatter(pts[:, 0], pts[:, 1], s=1 if small else 3, c="tab:blue", alpha=0.4 if small else 0.6, label="generated")
    if centres is not None:
        ax.scatter(centres[:, 0], centres[:, 1], marker="x", c="tab:red", s=12 if small else 40, label="modes")
    ax.set_aspect("equal")


def _points(x: Any) -> np.ndarray:
    arr = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64)
    return arr.reshape(len(arr), -1)[:, :2]


def save_scatter(x: torch.Tensor, path: str | Path, centres: np.ndarray | None = None, real: torch.Tensor | None = None,
                 title: str | None = None) -> None:  # fmt: skip
    """2-D samples as a scatter plot, with the real data and the mixture's mode centres."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    _scatter(ax, _points(x), centres, None if real is None else _points(real), small=False)
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    _save(fig, path, 100)


def save_scatter_panels(panels: Sequence[tuple[str, Any]], centres: np.ndarray | None, path: str | Path, cols: int = 6) -> None:
    """Small scatter plots of 2-D samples, one per (title, samples), with the modes as red crosses."""
    fig, axes = _small_panels(len(panels), cols, 2.0)
    for ax, (title, x) in zip(axes, panels):
        ax.axis("on")
        _scatter(ax, _points(x), centres, None, small=True)
        ax.set_title(title, fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    _save(fig, path, 80)


# --- dynamics ----------------------------------------------------------------------------------
def save_portrait(theta: np.ndarray, theta_ema: np.ndarray, phi1: np.ndarray, path: str | Path, *, title: str,
                  theta_title: str, phi_title: str) -> Path:  # fmt: skip
    """Two panels of a Dirac-GAN path: θ₁ vs θ₂ (with the EMA of θ) and φ₁ vs θ₁; the equilibrium is a red dot."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
    ax = axes[0]
    t2 = theta[:, 1] if theta.shape[1] > 1 else np.zeros(len(theta))
    e2 = theta_ema[:, 1] if theta_ema.shape[1] > 1 else np.zeros(len(theta_ema))
    ax.plot(theta[:, 0], t2, lw=0.7, color="tab:blue", label="θ")
    ax.plot(theta_ema[:, 0], e2, lw=1.2, color="tab:orange", label="EMA of θ")
    ax.plot(theta[0, 0], t2[0], "o", color="tab:green", ms=5, label="start")
    ax.plot(theta[-1, 0], t2[-1], "s", color="tab:blue", ms=4, label="end")
    ax.plot(0, 0, "o", color="red", ms=6, label="equilibrium")
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=7, loc="best")
    ax.set_title(theta_title, fontsize=9)
    ax = axes[1]
    ax.plot(phi1, theta[:, 0], lw=0.7, color="tab:purple")
    ax.plot(phi1[0], theta[0, 0], "o", color="tab:green", ms=5)
    ax.plot(0, 0, "o", color="red", ms=6)
    ax.set_xlabel("φ₁")
    ax.set_ylabel("θ₁")
    ax.set_title(phi_title[:70], fontsize=9)
    fig.suptitle(title, fontsize=10)
    path = Path(path)
    _save(fig, path, 90)
    return path


# --- intervals -----------------------------------------------------------------------------------
@dataclasses.dataclass
class Interval:
    """One row of an interval plot: a mean with its interval (None where undefined) and the values behind it."""

    label: str
    mean: float | None
    lo: float | None = None
    hi: float | None = None
    points: Sequence[float] = ()


def save_intervals(rows: Sequence[Interval], path: str | Path, *, title: str = "", xlabel: str = "") -> None:
    """One row per entry (top to bottom): the mean as a dot, its interval as a bar, each value behind it
    as a small grey mark; a row without a mean is labelled n/a."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 1.2 + 0.35 * len(rows)))
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        pts = [p for p in r.points if p is not None and np.isfinite(p)]
        if pts:
            ax.plot(pts, [y] * len(pts), "|", color="0.55", ms=8)
        if r.mean is None:
            continue
        if r.lo is not None and r.hi is not None:
            ax.plot([r.lo, r.hi], [y, y], color="tab:blue", lw=2)
        ax.plot([r.mean], [y], "o", color="tab:blue", ms=5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r.label + ("" if r.mean is not None else " (n/a)") for r in reversed(rows)], fontsize=7)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3, axis="x")
    if title:
        ax.set_title(title, fontsize=9)
    _save(fig, path, 100)
