"""Mode coverage; and meaning checks on ring8 (with precision, recall, density and coverage): a collapsed
generator vs a perfect sampler."""

import numpy as np
import pytest
import torch

from ganlab.metrics import evaluate
from ganlab.metrics.modes import mode_coverage_from_samples
from tests.helpers import MixtureSampler

N = 4000


def run(ring8, only=None):
    G = MixtureSampler(ring8.centres, ring8.sigma, only=only)
    metrics = ["mode_coverage", "precision_recall", "density_coverage"]
    return evaluate(G, ring8, metrics, n=N, seed=1)["values"]


def test_collapsed_generator_high_precision_low_recall_one_mode(ring8):
    v = run(ring8, only=3)
    assert v["modes"] == 1
    assert v["hq"] > 0.97
    assert v["reverse_kl"] == pytest.approx(np.log(8))  # all mass on one of 8 modes
    assert v["precision"] > 0.9
    assert v["recall"] < 0.2  # ~1/8 of the real points lie on the one covered mode
    assert v["coverage"] < 0.2


def test_perfect_sampler_covers_all_modes(ring8):
    v = run(ring8)
    assert v["modes"] == 8 and v["n_modes"] == 8
    assert v["hq"] >= 0.97  # P(‖N(0, I₂)‖ < 3) = 1 − e^{−4.5} ≈ 0.989
    assert v["reverse_kl"] < 0.01
    assert v["precision"] > 0.9 and v["recall"] > 0.9
    assert 0.8 < v["density"] < 1.2 and v["coverage"] > 0.9


def test_mode_coverage_empty_bins_and_no_hq():
    centres = np.array([[0.0, 0.0], [10.0, 0.0]])
    two = mode_coverage_from_samples(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.0], [10.0, 0.0]]), centres, 0.1)
    p = np.array([0.25, 0.75])
    assert two["reverse_kl"] == pytest.approx((p * np.log(2 * p)).sum())
    none = mode_coverage_from_samples(np.array([[5.0, 5.0]]), centres, 0.1)
    assert none["modes"] == 0 and none["hq"] == 0 and np.isnan(none["reverse_kl"])


def test_mode_coverage_needs_a_mixture(digits):
    from ganlab.errors import GanlabError

    with pytest.raises(GanlabError, match="mixture"):
        evaluate(None, torch.zeros(10, 2), ["mode_coverage"], fake=torch.zeros(10, 2))
