"""Arrays from .npz files: loading and one-line validation errors."""

import numpy as np
import pytest

from ganlab import GanlabError
from ganlab.config import DataConfig
from ganlab.data import load_dataset


def test_npz_loading_and_validation(tmp_path):
    p = tmp_path / "pts.npz"
    np.savez(p, x=np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32))
    ds = load_dataset(DataConfig(name="npz", path=str(p)))
    assert ds.kind == "points" and len(ds.train) + len(ds.val) + len(ds.test) == 100
    with pytest.raises(GanlabError, match="does not exist"):
        load_dataset(DataConfig(name="npz", path=str(tmp_path / "nope.npz")))
    with pytest.raises(GanlabError, match="data.path is not set"):
        load_dataset(DataConfig(name="npz"))
    bad = tmp_path / "nan.npz"
    x = np.zeros((10, 2), np.float32)
    x[3, 1] = np.nan
    np.savez(bad, x=x)
    with pytest.raises(GanlabError, match="NaN"):
        load_dataset(DataConfig(name="npz", path=str(bad)))
    bad.write_bytes(b"not a zip")
    with pytest.raises(GanlabError, match="cannot read"):
        load_dataset(DataConfig(name="npz", path=str(bad)))
    np.savez(bad, x=np.zeros((3, 4, 5)))
    with pytest.raises(GanlabError, match="shape"):
        load_dataset(DataConfig(name="npz", path=str(bad)))
    np.savez(bad, x=np.full((4, 1, 8, 8), 3.0))
    with pytest.raises(GanlabError, match=r"\[−1, 1\]"):
        load_dataset(DataConfig(name="npz", path=str(bad)))
