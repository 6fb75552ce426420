"""MRE, Parzen window, Inception Score and the equilibrium diagnostic."""

import math

import numpy as np
import pytest
import torch
from metric_helpers import LinearImages
from scipy.special import logsumexp
from torch import nn

from ganlab.metrics import evaluate, mre_along_training, reconstruction_errors
from ganlab.metrics.inception_score import inception_score_from_logits
from ganlab.metrics.parzen import parzen_log_likelihood, select_sigma


def test_mre_is_zero_when_the_generator_can_reproduce_the_data(digits):
    x = digits.test[:64]
    errs = reconstruction_errors(LinearImages(), x, restarts=2, steps=200, lr=0.1)
    assert errs.shape == (64,)
    assert (errs / 64).max() < 1e-4  # per-pixel squared error on data in [−1, 1]


def test_mre_positive_for_a_generator_that_cannot(digits):
    class Constant(nn.Module):
        z_dim = 4

        def forward(self, z):
            return torch.zeros(len(z), 1, 8, 8) + 0 * z.sum(1).view(-1, 1, 1, 1)

    x = digits.test[:32]
    errs = reconstruction_errors(Constant(), x, restarts=1, steps=5)
    torch.testing.assert_close(errs, x.flatten(1).pow(2).sum(1), rtol=1e-6, atol=1e-6)


def test_mre_metric_and_along_training(digits):
    v = evaluate(LinearImages(), digits, ["mre"], options={"mre": {"n": 40, "steps": 200, "lr": 0.1}})["values"]
    assert v["mre"] < 1e-4 and v["mre_n"] == 40
    rows = mre_along_training([(0, LinearImages(seed=1)), (100, LinearImages(seed=2))], digits.test[:8], steps=10)
    assert [r["step"] for r in rows] == [0, 100] and all(r["mre"] > 0 for r in rows)


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
    from metric_helpers import MixtureSampler

    v = evaluate(MixtureSampler(ring8.centres, ring8.sigma), ring8, ["parzen"], n=2000)["values"]
    assert 0.002 < v["parzen_sigma"] < 0.02  # Silverman: 0.01 · 250^(−1/6) ≈ 0.004
    assert v["parzen_ll"] > 2.0 and v["parzen_se"] > 0


def test_inception_score_extremes_and_formula():
    k = 10
    confident = np.tile(np.eye(k) * 50, (20, 1))  # every class equally often, each sample sure
    assert inception_score_from_logits(confident, splits=2)["is_mean"] == pytest.approx(k, rel=1e-6)
    assert inception_score_from_logits(np.zeros((100, k)), splits=5)["is_mean"] == pytest.approx(1.0)
    logits = np.random.default_rng(0).standard_normal((100, k))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    ref = [np.exp((q * (np.log(q) - np.log(q.mean(0)))).sum(1).mean()) for q in np.split(p, 4)]
    out = inception_score_from_logits(logits, splits=4)
    assert out["is_mean"] == pytest.approx(np.mean(ref)) and out["is_std"] == pytest.approx(np.std(ref))


def test_equilibrium_is_one_half_for_an_indifferent_discriminator(ring8):
    from metric_helpers import MixtureSampler

    class Half(nn.Module):
        def forward(self, x):
            return torch.zeros(len(x), 1)

    v = evaluate(MixtureSampler(ring8.centres, ring8.sigma), ring8, ["equilibrium"], n=100, discriminator=Half())
    assert v["values"]["d_real"] == 0.5 and v["values"]["d_fake"] == 0.5


def test_mre_reports_per_sample_values(digits):
    r = evaluate(LinearImages(), digits, ["mre"], options={"mre": {"n": 10, "steps": 5}})
    per = r["per_sample"]["mre"]
    assert len(per) == 10 and r["values"]["mre"] == pytest.approx(np.mean(per))
