"""Data sets: built-in (2-D mixtures, the 8×8 digits) and local files (npz, CIFAR, STL-10, image folders)."""

import dataclasses

from ganlab.data import cifar, digits, files, folder, stacked, stl10, toy  # noqa: F401  (registers the data sets)
from ganlab.data.base import DATASETS, KIND_DEFAULTS, Dataset, DataSpec, dataset
from ganlab.typed import check


def load_dataset(cfg) -> Dataset:
    """The data set named by ``cfg.name`` (a DataConfig, its fields checked against their bounds first)."""
    if dataclasses.is_dataclass(cfg):
        check(cfg, "data")
    return DATASETS.get(cfg.name)(cfg)


__all__ = ["DATASETS", "KIND_DEFAULTS", "DataSpec", "Dataset", "dataset", "load_dataset"]
