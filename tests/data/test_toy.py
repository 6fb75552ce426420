"""The toy mixtures: ring8 and grid25."""

import numpy as np

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
