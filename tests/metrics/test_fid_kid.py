"""FID and KID against independent numpy / scipy / scikit-learn computations."""

import numpy as np
import pytest
import scipy.linalg
from sklearn.metrics.pairwise import polynomial_kernel

from ganlab.errors import GanlabError
from ganlab.metrics.fid import fid_from_features, frechet_distance, load_stats, save_stats
from ganlab.metrics.kid import kid_from_features


def gaussian_features(n: int, d: int, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d)) / np.sqrt(d)
    return rng.standard_normal((n, d)) @ a + shift


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


def reference_kid_full(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² with scikit-learn's polynomial kernel (γ = 1/d, c₀ = 1, degree 3)."""
    d = x.shape[1]
    kxx = polynomial_kernel(x, x, degree=3, gamma=1.0 / d, coef0=1)
    kyy = polynomial_kernel(y, y, degree=3, gamma=1.0 / d, coef0=1)
    kxy = polynomial_kernel(x, y, degree=3, gamma=1.0 / d, coef0=1)
    m = len(x)
    np.fill_diagonal(kxx, 0)
    np.fill_diagonal(kyy, 0)
    return float((kxx.sum() + kyy.sum()) / (m * (m - 1)) - 2 * kxy.sum() / m**2)


def test_kid_matches_sklearn_kernel_reference():
    x, y = gaussian_features(400, 32, seed=6), gaussian_features(400, 32, seed=7, shift=0.2)
    # one subset holding every sample (a permutation: MMD² does not depend on the order)
    out = kid_from_features(x, y, subsets=1, subset_size=400)
    assert out["kid_mean"] == pytest.approx(reference_kid_full(x, y), rel=1e-6)
    assert out["kid_std"] == 0.0


def test_kid_near_zero_for_same_distribution_and_positive_otherwise():
    x, y = gaussian_features(3000, 16, seed=8), gaussian_features(3000, 16, seed=8)[::-1].copy()
    same = kid_from_features(x[:1500], y[:1500], subsets=20, subset_size=500)
    shifted = kid_from_features(x, gaussian_features(3000, 16, seed=9, shift=0.5), subsets=20, subset_size=500)
    assert abs(same["kid_mean"]) < 3 * same["kid_std"] + 1e-3
    assert shifted["kid_mean"] > 10 * shifted["kid_std"] > 0
