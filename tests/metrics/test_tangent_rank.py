"""The tangent_rank metric: the rank and spectrum of G's Jacobian through ``evaluate``."""

import pytest
import torch

import ganlab.metrics.tangent_rank  # noqa: F401  (registers the metric)
from ganlab.errors import GanlabError
from ganlab.metrics import evaluate
from ganlab.metrics.tangents import effective_rank
from tests.helpers import Linear


def test_tangent_rank_metric_through_evaluate():
    W = torch.randn(2, 8)
    out = evaluate(Linear(W), torch.randn(50, 2), ["tangent_rank"], options={"tangent_rank": {"n": 16}})
    v = out["values"]
    assert v["tangent_rank"] == 2 and v["tangent_rank_max"] == 2
    assert out["protocol"]["metrics"]["tangent_rank"]["n_generated"] == 16
    s = torch.linalg.svdvals(W.double())
    assert v["tangent_sigma_max"] == pytest.approx(s[0].item()) and v["tangent_erank"] == pytest.approx(effective_rank(s[None]).item())
    with pytest.raises(GanlabError):
        evaluate(None, torch.randn(5, 2), ["tangent_rank"], fake=torch.randn(5, 2))
