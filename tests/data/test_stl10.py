"""STL-10 binaries: the column-major layout, the 2×2 box filter to 48², splits, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab import GanlabError
from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.data.stl10 import STL_BYTES


def _write_stl(folder, n: int, name: str = "unlabeled_X.bin", seed: int = 0) -> np.ndarray:
    """n random 96×96 images written in STL-10's layout; returns them as (n, 3, 96, 96)."""
    x = np.random.default_rng(seed).integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    x.transpose(0, 1, 3, 2).tofile(folder / name)  # each plane column-major
    return x


def test_stl10_binary_box_filter_and_splits(tmp_path):
    folder = tmp_path / "stl10_binary"
    x = _write_stl(folder, 30)
    x_test = _write_stl(folder, 8, "test_X.bin", seed=1)
    (folder / "test_y.bin").write_bytes((np.arange(8) % 10 + 1).astype(np.uint8).tobytes())
    ds = load_dataset(DataConfig(name="stl10", path=str(tmp_path)))
    assert ds.shape == (3, 48, 48) and (len(ds.train), len(ds.val), len(ds.test)) == (27, 3, 8)
    assert ds.labels == {}  # the unlabeled file has no labels, so no split gets any
    # test split = the official test file, 2×2 box-averaged and rounded (one uint8 step of tolerance)
    box = x_test.reshape(8, 3, 48, 2, 48, 2).astype(np.float64).mean((3, 5))
    want = torch.from_numpy(np.round(box) / 127.5 - 1).float()
    torch.testing.assert_close(ds.test, want, rtol=0, atol=1.01 / 127.5)
    assert ds.train.min() >= -1 and ds.train.max() <= 1
    # full resolution keeps the pixels exactly (checks the column-major layout)
    full = load_dataset(DataConfig(name="stl10", path=str(folder), resolution=96, val_size=0, limit=5))
    torch.testing.assert_close(full.train, torch.from_numpy(x[:5] / 127.5 - 1).float(), rtol=0, atol=1e-6)
    # one .bin alone: test is held out of it too
    single = load_dataset(DataConfig(name="stl10", path=str(folder / "unlabeled_X.bin")))
    assert (len(single.train), len(single.val), len(single.test)) == (24, 3, 3)
    (folder / "unlabeled_X.bin").write_bytes(b"\0" * (STL_BYTES + 7))
    with pytest.raises(GanlabError, match="not a whole number of 96×96×3 images"):
        load_dataset(DataConfig(name="stl10", path=str(folder)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanlabError, match="has no unlabeled_X.bin or train_X.bin"):
        load_dataset(DataConfig(name="stl10", path=str(tmp_path / "empty")))
