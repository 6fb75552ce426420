import numpy as np
import pytest
import torch

from ganlab import GanlabError
from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.data.toy import grid25_centres, ring8_centres


def test_ring8_and_grid25_definitions():
    c = ring8_centres()
    assert c.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0)
    assert len({tuple(np.round(x, 9)) for x in c}) == 8  # eight distinct modes (not 7, see REFERENCES §3)
    g = grid25_centres()
    assert g.shape == (25, 2) and set(np.unique(g)) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    ds = load_dataset(DataConfig(name="ring8", n_points=5000))
    assert ds.sigma == 0.01 and ds.kind == "points" and ds.train.shape == (5000, 2)
    # samples sit within a few σ of their nearest centre
    d = np.linalg.norm(ds.train.numpy()[:, None] - c[None], axis=2).min(1)
    assert d.max() < 6 * ds.sigma
    assert load_dataset(DataConfig(name="grid25")).sigma == 0.05


def test_digits_split_is_fixed_disjoint_and_scaled():
    a = load_dataset(DataConfig(name="digits"))
    b = load_dataset(DataConfig(name="digits"))
    assert torch.equal(a.train, b.train) and torch.equal(a.test, b.test)
    assert a.train.shape[1:] == (1, 8, 8)
    assert len(a.train) + len(a.val) + len(a.test) == 1797
    assert a.train.min() >= -1 and a.train.max() <= 1
    # every class is in every split (stratified)
    for split in ("train", "val", "test"):
        assert set(a.labels[split]) == set(range(10))


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
