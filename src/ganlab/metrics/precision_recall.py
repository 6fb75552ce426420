"""Improved precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020).

Manifolds are unions of balls around each point with radius = distance to its k-th nearest
neighbour in its own set (self excluded). Convention (a swap is a known bug elsewhere, and a
regression test here):
- precision = share of *generated* samples inside the *real* manifold (fidelity),
- recall    = share of *real* samples inside the *generated* manifold (diversity),
both with ≤ (k = 3, Kynkäänniemi's reference). Density/coverage use strict < and k = 5
(Naeem's reference): density = 1/(kM) Σⱼ Σᵢ 1[Yⱼ ∈ B(Xᵢ, rᵢ)], coverage = 1/N Σᵢ 1[∃j: Yⱼ ∈ B(Xᵢ, rᵢ)],
X real (N), Y generated (M). Distances in float64, computed in row blocks to bound memory.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, metric
from ganlab.typed import field

BLOCK = 2048  # rows per distance block: 2048 × 10⁴ float64 = 160 MB at most


def _dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # ‖a−b‖ by the matmul expansion, clamped: exact enough in float64 for ranking and thresholds
    return torch.cdist(a, b, compute_mode="use_mm_for_euclid_dist").clamp_min_(0)


def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest *other* row (k+1-th smallest, self at 0)."""
    if len(x) <= k:
        raise GanlabError(f"a k={k} nearest-neighbour radius needs more than {k} samples, got {len(x)}", "raise --n")
    t = torch.from_numpy(np.asarray(x, np.float64))
    return torch.cat([_dist(t[i : i + BLOCK], t).kthvalue(k + 1, dim=1).values for i in range(0, len(t), BLOCK)]).numpy()


def ball_counts(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray, strict: bool = False) -> np.ndarray:
    """For each query, how many balls B(centreⱼ, radiusⱼ) contain it (≤, or < when strict)."""
    q, c = torch.from_numpy(np.asarray(queries, np.float64)), torch.from_numpy(np.asarray(centres, np.float64))
    r = torch.from_numpy(np.asarray(radii, np.float64))
    out = []
    for i in range(0, len(q), BLOCK):
        d = _dist(q[i : i + BLOCK], c)
        out.append(((d < r) if strict else (d <= r)).sum(1))
    return torch.cat(out).numpy()


def precision_recall_from_features(fake: np.ndarray, real: np.ndarray, k: int = 3) -> dict[str, float]:
    """Improved precision and recall; first generated, second real."""
    precision = (ball_counts(fake, real, knn_radii(real, k)) > 0).mean()
    recall = (ball_counts(real, fake, knn_radii(fake, k)) > 0).mean()
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage_from_features(fake: np.ndarray, real: np.ndarray, k: int = 5) -> dict[str, float]:
    """Density and coverage; first generated, second real."""
    radii = knn_radii(real, k)
    density = ball_counts(fake, real, radii, strict=True).sum() / (k * len(fake))
    # coverage: real point i is covered when its nearest generated sample lies inside its ball
    nearest = _nearest(real, fake)
    return {"density": float(density), "coverage": float((nearest < radii).mean())}


def _nearest(queries: np.ndarray, points: np.ndarray) -> np.ndarray:
    q, p = torch.from_numpy(np.asarray(queries, np.float64)), torch.from_numpy(np.asarray(points, np.float64))
    return torch.cat([_dist(q[i : i + BLOCK], p).min(1).values for i in range(0, len(q), BLOCK)]).numpy()


@dataclasses.dataclass(frozen=True)
class PROptions:
    k: int = field(3, low=1)  # Kynkäänniemi et al. 2019: k = 3


@dataclasses.dataclass(frozen=True)
class DCOptions:
    k: int = field(5, low=1)  # Naeem et al. 2020, README example: k = 5


@metric("precision_recall", options=PROptions, better={"precision": True, "recall": True})
def precision_recall(fake: Side, real: Side, o: PROptions) -> dict[str, float]:
    """Improved precision (generated inside real manifold) and recall (real inside generated), k = 3."""
    return precision_recall_from_features(fake.features(), real.features(), k=o.k)


@metric("density_coverage", options=DCOptions, better={"density": True, "coverage": True})
def density_coverage(fake: Side, real: Side, o: DCOptions) -> dict[str, float]:
    """Density and coverage (Naeem et al. 2020) around the real samples, k = 5."""
    return density_coverage_from_features(fake.features(), real.features(), k=o.k)
