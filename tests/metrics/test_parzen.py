"""The Parzen-window log-likelihood and its bandwidth selection."""

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from ganlab.metrics import evaluate
from ganlab.metrics.parzen import parzen_log_likelihood, select_sigma
from tests.helpers import MixtureSampler


def test_parzen_log_likelihood_matches_numpy_formula():
    rng = np.random.default_rng(0)
    centres, x = rng.standard_normal((50, 3)), rng.standard_normal((20, 3))
    sigma = 0.4
    sq = ((x[:, None] - centres[None]) ** 2).sum(-1)
    ref = logsumexp(-sq / (2 * sigma**2), axis=1) - math.log(50) - 1.5 * math.log(2 * math.pi * sigma**2)
    np.testing.assert_allclose(parzen_log_likelihood(x, centres, sigma), ref, rtol=1e-10)


def test_parzen_sigma_selection_follows_the_data_scale():
    rng = np.random.default_rng(1)
    sigmas = np.logspace(-2, 1, 13)
    base_samples, base_val = rng.standard_normal((2000, 2)), rng.standard_normal((300, 2))
    chosen = []
    for scale in (0.1, 1.0):
        samples, val = scale * base_samples, scale * base_val
        best, scores = select_sigma(val, samples, sigmas)
        assert best == sigmas[np.argmax(scores)] and sigmas[0] < best < sigmas[-1]  # an interior optimum
        chosen.append(best)
    assert chosen[1] == pytest.approx(10 * chosen[0])  # LL(σ; s·x) = LL(σ/s; x) − D log s: σ scales with the data


def test_parzen_metric_on_ring8(ring8):
    v = evaluate(MixtureSampler(ring8.centres, ring8.sigma), ring8, ["parzen"], n=2000)["values"]
    assert 0.002 < v["parzen_sigma"] < 0.02  # Silverman: 0.01 · 250^(−1/6) ≈ 0.004
    assert v["parzen_ll"] > 2.0 and v["parzen_se"] > 0
