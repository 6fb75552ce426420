"""FID against independent numpy / scipy computations, and its reference statistics files."""

import numpy as np
import pytest
import scipy.linalg

from ganlab.errors import GanlabError
from ganlab.metrics.fid import fid_from_features, frechet_distance, load_stats, save_stats
from tests.helpers import gaussian_features


def reference_fid(x: np.ndarray, y: np.ndarray) -> float:
    """TTUR's recipe written out: N−1 covariance, scipy sqrtm, real part of the trace."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_fid_of_a_set_with_itself_is_zero():
    x = gaussian_features(2000, 64, seed=0)
    assert abs(fid_from_features(x, x)) < 1e-6
    assert abs(fid_from_features(x, x, method="sqrtm")) < 1e-6


@pytest.mark.parametrize("d", [8, 64, 256])
def test_fid_matches_scipy_reference(d):
    x, y = gaussian_features(3000, d, seed=1), gaussian_features(2500, d, seed=2, shift=0.3)
    ref = reference_fid(x, y)
    assert ref > 1.0
    for method in ("eigvals", "sqrtm"):
        assert fid_from_features(x, y, method=method) == pytest.approx(ref, rel=1e-6)


def test_fid_closed_form_for_diagonal_gaussians():
    # FID(N(0, a²I), N(m, b²I)) = ‖m‖² + d (a − b)²
    d = 5
    assert frechet_distance(np.zeros(d), 4 * np.eye(d), np.ones(d), np.eye(d)) == pytest.approx(d + d * 1.0)


def test_fid_is_asymmetric_only_in_name():
    x, y = gaussian_features(1500, 16, seed=3), gaussian_features(1500, 16, seed=4, shift=1.0)
    assert fid_from_features(x, y) == pytest.approx(fid_from_features(y, x), rel=1e-9)


def test_fid_stats_npz_roundtrip(tmp_path):
    x = gaussian_features(500, 8, seed=5)
    mu, sigma = x.mean(0), np.cov(x, rowvar=False)
    save_stats(tmp_path / "ref.npz", mu, sigma)
    mu2, sigma2 = load_stats(tmp_path / "ref.npz")
    np.testing.assert_array_equal(mu, mu2)
    np.testing.assert_array_equal(sigma, sigma2)
    np.savez(tmp_path / "bad.npz", m=mu)
    with pytest.raises(GanlabError, match="mu"):
        load_stats(tmp_path / "bad.npz")
