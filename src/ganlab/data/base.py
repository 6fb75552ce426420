"""The in-memory data set every loader produces, and the data registry."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from ganlab.registry import Registry


@dataclasses.dataclass
class Dataset:
    """Train / validation / test tensors (float32) with what evaluation needs to know.

    ``kind`` is "points" (rows of coordinates) or "image" (N, C, H, W in [−1, 1]).
    Mixtures carry their mode ``centres`` (K, dim) and component ``sigma``.
    """

    name: str
    kind: str
    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor
    centres: np.ndarray | None = None
    sigma: float | None = None
    labels: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)  # split → class labels
    info: dict[str, Any] = dataclasses.field(default_factory=dict)  # provenance for protocols

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one sample."""
        return tuple(self.train.shape[1:])

    def split(self, name: str) -> torch.Tensor:
        """One split by name: "train", "val" or "test"."""
        if name not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, got {name!r}")
        return getattr(self, name)


# Each entry is a function (config: DataConfig) -> Dataset
DATASETS: Registry = Registry("data set")
