"""Data sets: built-in (2-D mixtures, the 8×8 digits) and local files (npz, CIFAR, STL-10, image folders)."""

from ganlab.data import digits, files, images, toy  # noqa: F401  (registers the data sets)
from ganlab.data.base import DATASETS, Dataset


def load_dataset(cfg) -> Dataset:
    """The data set named by ``cfg.name`` (a DataConfig)."""
    return DATASETS.get(cfg.name)(cfg)


__all__ = ["DATASETS", "Dataset", "load_dataset"]
