"""The in-memory data set every loader produces, and the data registry.

A data set is registered with what others need to know of it, next to its loader: its kind
("points" or "image"; "file" when the file decides), its default feature network and the
metrics a run reports at its end. Nothing elsewhere tests data set names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ganlab.errors import GanlabError
from ganlab.registry import Registry

# what a data set of a kind gets when its registration does not say otherwise
KIND_DEFAULTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "points": ("identity", ("precision_recall", "equilibrium")),
    "image": ("inception", ("fid", "kid", "inception_score", "precision_recall")),
}


@dataclasses.dataclass
class Dataset:
    """Train / validation / test tensors (float32) with what evaluation needs to know.

    ``kind`` is "points" (rows of coordinates) or "image" (N, C, H, W in [−1, 1]).
    Mixtures carry their mode ``centres`` (K, dim) and component ``sigma``. ``features`` and
    ``metrics`` are the defaults its registration declares (see ``DataSpec``). ``labels`` maps
    each split to its integer class labels 0 … K−1 (checked on construction); K is ``n_classes``,
    or ``info["n_classes"]`` where the format declares it (CIFAR-10: 10).
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
    features: str = ""  # default feature network of its metrics
    metrics: tuple[str, ...] = ()  # metrics reported at the end of a run

    def __post_init__(self) -> None:
        self.labels = {split: check_labels(y, len(self.split(split)), f"{self.name} {split} labels", self.info.get("n_classes"))
                       for split, y in self.labels.items()}  # fmt: skip

    @property
    def n_classes(self) -> int | None:
        """Classes of its labels (labels are 0 … K−1), or None for unlabelled data."""
        if "train" not in self.labels:
            return None
        if self.info.get("n_classes"):
            return int(self.info["n_classes"])
        return int(max(int(np.max(v)) for v in self.labels.values() if len(v))) + 1

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one sample."""
        return tuple(self.train.shape[1:])

    def split(self, name: str) -> torch.Tensor:
        """One split by name: "train", "val" or "test"."""
        if name not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, got {name!r}")
        return getattr(self, name)


def check_labels(y: Any, n: int, where: str, n_classes: int | None = None) -> np.ndarray:
    """Class labels as int64 (n,): integers in 0 … K−1 (K = ``n_classes`` when declared); a
    one-line error naming the problem otherwise."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise GanlabError(f"{where}: {y.shape} labels for {n} samples", "store one integer class label per sample")
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)  # integral floats are labels stored carelessly, not a different thing
    if y.dtype.kind not in "iu" and n:
        raise GanlabError(f"{where} are {y.dtype}, not integers", "store class labels as integers 0 … K−1")
    y = y.astype(np.int64)
    if n and (y.min() < 0 or (n_classes is not None and y.max() >= n_classes)):
        bad = int(y.min()) if y.min() < 0 else int(y.max())
        top = f"{n_classes - 1}" if n_classes is not None else "K−1"
        raise GanlabError(f"{where}: label {bad} is out of range 0 … {top}", "store class labels as integers 0 … K−1")
    return y


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """A registered data set: its loader ``load(DataConfig) -> Dataset`` and its declarations."""

    load: Callable[[Any], Dataset]
    kind: str  # "points", "image", or "file" (decided by the file's contents)
    features: str | None = None  # default feature network; None: the kind's (KIND_DEFAULTS)
    metrics: tuple[str, ...] | None = None  # end-of-run metrics; None: the kind's

    @property
    def summary(self) -> str:
        doc = (self.load.__doc__ or "").strip()
        return " ".join(doc.split("\n\n")[0].split())

    def __call__(self, cfg: Any) -> Dataset:
        ds = self.load(cfg)
        features, metrics = KIND_DEFAULTS[ds.kind]
        ds.features = self.features or features
        ds.metrics = tuple(self.metrics if self.metrics is not None else metrics)
        return ds


DATASETS: Registry[DataSpec] = Registry("data set")


def dataset(
    name: str, *, kind: str, features: str | None = None, metrics: tuple[str, ...] | None = None
) -> Callable[[Callable[[Any], Dataset]], Callable[[Any], Dataset]]:
    """Register loader ``fn(DataConfig) -> Dataset`` as data set ``name`` (see ``DataSpec``)."""

    def deco(fn: Callable[[Any], Dataset]) -> Callable[[Any], Dataset]:
        DATASETS.register(name)(DataSpec(fn, kind, features, metrics))
        return fn

    return deco
