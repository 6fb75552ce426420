"""KID against an independent scikit-learn kernel computation."""

import numpy as np
import pytest
from sklearn.metrics.pairwise import polynomial_kernel

from ganlab.metrics.kid import kid_from_features
from tests.helpers import gaussian_features


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
