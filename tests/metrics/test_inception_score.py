"""The Inception Score from logits: its extremes and its formula."""

import numpy as np
import pytest

from ganlab.metrics.inception_score import inception_score_from_logits


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


def test_splits_are_cut_as_the_reference_code_cuts_them():
    """N = 1005 in 10 splits: [i·N//10 : (i+1)·N//10] (openai/improved-gan, torch-fidelity), not
    np.array_split's remainder-first boundaries."""
    n, k, s = 1005, 7, 10
    logits = np.random.default_rng(3).standard_normal((n, k)) * 3
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    def score(parts):
        vals = [np.exp((q * (np.log(q) - np.log(q.mean(0)))).sum(1).mean()) for q in parts]
        return np.mean(vals), np.std(vals)

    ref = score([p[i * n // s : (i + 1) * n // s] for i in range(s)])
    other = score(np.array_split(p, s))
    out = inception_score_from_logits(logits, splits=s)
    assert out["is_mean"] == pytest.approx(ref[0], rel=1e-9) and out["is_std"] == pytest.approx(ref[1], rel=1e-9)
    assert ref[1] != pytest.approx(other[1], rel=1e-9)  # the two cuttings are told apart by this test
