"""Pictures: sample grids, 2-D scatter plots, loss curves. matplotlib is imported lazily."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


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
    gray = grid.shape[2] == 1
    ax.imshow(grid[..., 0] if gray else grid, cmap="gray" if gray else None, vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_scatter(
    x: torch.Tensor,
    path: str | Path,
    centres: np.ndarray | None = None,
    real: torch.Tensor | None = None,
    title: str | None = None,
) -> None:
    """2-D samples as a scatter plot, with the real data and the mixture's mode centres."""
    plt = _plt()
    pts = np.asarray(x.detach().cpu(), dtype=np.float64).reshape(len(x), -1)[:, :2]
    fig, ax = plt.subplots(figsize=(5, 5))
    if real is not None:
        r = np.asarray(real.detach().cpu()).reshape(len(real), -1)[:, :2]
        ax.scatter(r[:, 0], r[:, 1], s=2, c="0.75", label="real")
    ax.scatter(pts[:, 0], pts[:, 1], s=3, c="tab:blue", alpha=0.6, label="generated")
    if centres is not None:
        ax.scatter(centres[:, 0], centres[:, 1], marker="x", c="tab:red", s=40, label="modes")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_loss_curves(records: Sequence[dict], path: str | Path, title: str | None = None) -> None:
    """One panel per player with every named loss term against the step."""
    plt = _plt()
    keys = sorted({k for r in records for k in r if "/" in k})
    players = sorted({k.split("/")[0] for k in keys}) or ["D", "G"]
    fig, axes = plt.subplots(1, len(players), figsize=(5 * len(players), 3.5), squeeze=False)
    for ax, player in zip(axes[0], players):
        for key in (k for k in keys if k.startswith(player + "/")):
            pts = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))]
            if pts:
                s, v = zip(*pts)
                ax.plot(s, v, label=key.split("/", 1)[1])
        ax.set_title(f"{player} loss terms")
        ax.set_xlabel("generator step")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
