"""The entry point: protocol, JSON, defaults, errors (the `ganlab eval` command: tests/commands/test_eval.py)."""

import json

import pytest
import torch

import ganlab
from ganlab.errors import GanlabError
from ganlab.metrics import METRICS, default_features, default_metrics, evaluate, save_result
from tests.helpers import MixtureSampler, MLPImages


def test_protocol_records_what_each_metric_used(digits):
    r = evaluate(MLPImages(), digits, ["fid", "inception_score", "mre"], n=200, seed=5, options={"mre": {"steps": 2}})
    p = r["protocol"]
    assert p["ganlab_version"] == ganlab.__version__ and p["seed"] == 5
    assert p["dataset"] == "digits" and p["split"] == "test" and p["n_generated"] == 200 and p["n_real"] == 360
    assert [f["name"] for f in p["features"]] == ["digits"] and len(p["features"][0]["sha256"]) == 64
    assert p["metrics"]["fid"]["n_generated"] == 200 and p["metrics"]["fid"]["n_real"] == 360
    assert "n_real" not in p["metrics"]["inception_score"]  # IS reads the generated side only
    assert "features" not in p["metrics"]["mre"]
    assert p["metrics"]["mre"]["options"] == {"restarts": 2, "steps": 2, "lr": 0.1, "n": None}  # resolved: given + defaults
    assert set(r["values"]) >= {"fid", "is_mean", "is_std", "mre", "mre_l2"}


def test_defaults_per_data_set(digits, ring8):
    assert default_features(digits) == "digits" and default_features(ring8) == "identity"
    assert "mode_coverage" in default_metrics(ring8) and "mre" in default_metrics(digits)
    assert set(default_metrics(digits)) | set(default_metrics(ring8)) <= set(METRICS.names())


def test_default_ring8_evaluation_with_discriminator(ring8):
    D = torch.nn.Sequential(torch.nn.Linear(2, 1))
    r = evaluate(MixtureSampler(ring8.centres, ring8.sigma), ring8, n=2000, discriminator=D)
    assert r["values"]["modes"] == 8 and 0 < r["values"]["d_real"] < 1
    assert r["protocol"]["features"] == [{"name": "identity", "sha256": None}]


def test_tensor_reference_and_given_fake_samples():
    real = torch.randn(500, 4)
    r = evaluate(None, real, ["fid", "kid"], fake=real.clone(), options={"kid": {"subsets": 5}})
    assert abs(r["values"]["fid"]) < 1e-6 and r["protocol"]["split"] is None


def test_errors_are_one_line_and_say_what_to_do(digits):
    with pytest.raises(GanlabError, match='did you mean "fid"'):
        evaluate(MLPImages(), digits, ["fdi"])
    with pytest.raises(GanlabError, match="discriminator"):
        evaluate(MLPImages(), digits, ["equilibrium"], n=10)
    with pytest.raises(GanlabError, match="logits"):
        evaluate(None, torch.randn(50, 2), ["inception_score"], fake=torch.randn(50, 2))


def test_save_result_writes_strict_json(tmp_path):
    path = tmp_path / "m.json"
    save_result({"values": {"reverse_kl": float("nan"), "fid": 1.5}, "protocol": {}}, path)
    assert json.loads(path.read_text())["values"] == {"reverse_kl": None, "fid": 1.5}
