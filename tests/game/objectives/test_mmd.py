"""MMD GAN (biased and unbiased estimators) against a numpy double sum over the kernel."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import check_against_numpy


def np_mmd2(a, b, sigmas, unbiased):
    def k(x, y):
        return sum(np.exp(-np.sum((x - y) ** 2) / (2 * s * s)) for s in sigmas)

    m, n = len(a), len(b)
    if unbiased:
        krr = sum(k(a[i], a[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        kff = sum(k(b[i], b[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    else:
        krr = sum(k(a[i], a[j]) for i in range(m) for j in range(m)) / m**2
        kff = sum(k(b[i], b[j]) for i in range(n) for j in range(n)) / n**2
    krf = sum(k(a[i], b[j]) for i in range(m) for j in range(n)) / (m * n)
    return krr - 2 * krf + kff


def ref_mmd(sigmas=(1.0, 2.0, 4.0, 8.0, 16.0), estimator="biased"):
    ub = estimator == "unbiased"
    return (lambda dr, df, xr, xf: -np_mmd2(dr, df, sigmas, ub), lambda dr, df, xr, xf: np_mmd2(dr, df, sigmas, ub))


# (name, params, D kind, numpy reference)
CASES = [
    ("mmd", "mmd", {}, "vector", ref_mmd()),
    ("mmd-unbiased", "mmd", {"sigmas": (0.5, 3.0), "estimator": "unbiased"}, "vector", ref_mmd((0.5, 3.0), "unbiased")),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)
