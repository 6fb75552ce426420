"""Metric values do not depend on the batch size used to generate samples and compute features."""

import pytest

from ganlab.metrics import evaluate
from tests.helpers import MLPImages

METRICS = ["fid", "kid", "inception_score", "precision_recall", "density_coverage"]


def test_metrics_invariant_to_batch_size(digits):
    G = MLPImages()
    a = evaluate(G, digits, METRICS, n=600, batch_size=7, options={"kid": {"subsets": 10}})["values"]
    b = evaluate(G, digits, METRICS, n=600, batch_size=600, options={"kid": {"subsets": 10}})["values"]
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-6, abs=1e-9), k


def test_same_seed_same_numbers_other_seed_other_samples(digits):
    G = MLPImages()
    a = evaluate(G, digits, ["fid"], n=300, seed=3)["values"]["fid"]
    assert evaluate(G, digits, ["fid"], n=300, seed=3)["values"]["fid"] == a
    assert evaluate(G, digits, ["fid"], n=300, seed=4)["values"]["fid"] != a
