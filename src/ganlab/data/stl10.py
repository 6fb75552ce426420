"""STL-10 from the binary files of ``stl10_binary`` (nothing is downloaded).

``data.path`` = that folder, its parent, or one ``.bin`` file. Train = ``unlabeled_X.bin``
(100,000 images, SN-GAN's choice), or ``train_X.bin`` when the unlabeled file is absent; test =
``test_X.bin`` (8,000) when present, otherwise a held-out part of the training file. 96×96
images are resized to 48×48 (SN-GAN, Sphere GAN) by area averaging, which at an integer factor
is exactly a 2×2 box filter, then rounded to uint8 as any exported image would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganlab.data.base import Dataset, dataset
from ganlab.data.images import check_memory, default_holdout, hold_out, image_dataset, require_path, resize_images
from ganlab.errors import GanlabError

STL_SIDE = 96
STL_BYTES = 3 * STL_SIDE * STL_SIDE  # one STL-10 image: 3 planes of 96×96 uint8, each column-major

def read_stl_bin(path: Path, limit: int | None, size: int, chunk: int = 4096) -> np.ndarray:
    """uint8 (N, 3, size, size) from an STL-10 ``*_X.bin`` (memory-mapped, resized chunk by chunk,
    so the 2.8 GB unlabeled file never sits in memory at 96²)."""
    n_bytes = path.stat().st_size
    if n_bytes == 0 or n_bytes % STL_BYTES:
        raise GanlabError(
            f"{path} has {n_bytes} bytes, not a whole number of 96×96×3 images ({STL_BYTES} bytes each)",
            "re-extract stl10_binary.tar.gz (the file is truncated or not an STL-10 *_X.bin)",
        )
    n = n_bytes // STL_BYTES if limit is None else min(limit, n_bytes // STL_BYTES)
    raw = np.memmap(path, dtype=np.uint8, mode="r", shape=(n, 3, STL_SIDE, STL_SIDE))
    out = np.empty((n, 3, size, size), np.uint8)
    for i in range(0, n, chunk):
        block = np.ascontiguousarray(raw[i : i + chunk].transpose(0, 1, 3, 2))  # planes are stored column-major
        out[i : i + chunk] = resize_images(block, size)
    del raw
    return out


def _read_stl_labels(path: Path, n: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    y = np.fromfile(path, dtype=np.uint8)
    if len(y) < n or not ((y >= 1) & (y <= 10)).all():
        raise GanlabError(f"{path} does not hold {n} labels in 1..10", "re-extract stl10_binary.tar.gz, or remove the label file")
    return y[:n].astype(np.int64) - 1  # files count classes from 1


@dataset("stl10", kind="image")
def stl10(cfg: Any) -> Dataset:
    """STL-10 from ``stl10_binary``; see the module docstring."""
    path = require_path(cfg, "stl10_binary")
    if path.is_dir():
        folder = path / "stl10_binary" if (path / "stl10_binary").is_dir() else path
        train_file = next((folder / n for n in ("unlabeled_X.bin", "train_X.bin") if (folder / n).is_file()), None)
        if train_file is None:
            raise GanlabError(f"{folder} has no unlabeled_X.bin or train_X.bin", "point data.path at the extracted stl10_binary folder")
        test_file: Path | None = folder / "test_X.bin" if (folder / "test_X.bin").is_file() else None
    else:
        if path.suffix != ".bin":
            raise GanlabError(
                f"{path} is not an STL-10 .bin file", "point data.path at the extracted stl10_binary folder or one *_X.bin in it"
            )
        train_file, test_file = path, None
    size = cfg.resolution or 48  # SN-GAN (Miyato et al. 2018) and Sphere GAN train STL-10 at 48×48
    counts = [f.stat().st_size // STL_BYTES for f in (train_file, test_file) if f is not None]  # the files are raw pixels
    check_memory("stl10", sum(c if cfg.limit is None else min(c, cfg.limit) for c in counts), 3, size)
    x = read_stl_bin(train_file, cfg.limit, size)
    y = _read_stl_labels(train_file.with_name(train_file.name.replace("_X", "_y")), len(x))
    n_val = default_holdout(len(x)) if cfg.val_size is None else cfg.val_size
    if test_file is not None:
        x_test = read_stl_bin(test_file, cfg.limit, size)
        y_test = _read_stl_labels(test_file.with_name("test_y.bin"), len(x_test))
        keep, held = hold_out(len(x), n_val, cfg.seed)
        test_rule = f"{test_file.name}"
    else:  # no official test file: hold out a test part of the training file as well
        n_test = default_holdout(len(x))
        rest, test_idx = hold_out(len(x), n_test, cfg.seed, salt=1)
        x_test, y_test = x[test_idx], (None if y is None else y[test_idx])
        x, y = x[rest], (None if y is None else y[rest])
        keep, held = hold_out(len(x), n_val, cfg.seed)
        test_rule = f"{n_test} images of {train_file.name} held out with the seed"
    labels = {"train": y[keep], "val": y[held], "test": y_test} if y is not None and y_test is not None else {}
    return image_dataset(
        "stl10",
        x[keep],
        x[held],
        x_test,
        labels,
        {
            "source": str(train_file),
            "format": "stl10 binary",
            "split_seed": cfg.seed,
            "split": f"train = {train_file.name}; test = {test_rule}; val = {n_val} training images held out with the seed",
            "resize": "none" if size == STL_SIDE else "area average (2×2 box filter for 48²)",
        },
    )
