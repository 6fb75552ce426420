"""The data's own floor: the evaluation's metrics with held-out training images for generated samples."""

import numpy as np
import pytest
import torch

from ganlab.data import Dataset
from ganlab.metrics import evaluate
from ganlab.metrics.floor import data_floor, floor_samples
from tests.helpers import MLPImages


def test_floor_is_evaluate_on_training_images(digits):
    floor = data_floor(digits, ["fid", "precision_recall"], n=500, seed=3)
    x, _ = floor_samples(digits, 500, seed=3)
    direct = evaluate(None, digits, ["fid", "precision_recall"], fake=x, n=500, seed=3)
    assert floor["values"] == direct["values"]
    assert floor["protocol"]["n_generated"] == 500 and floor["protocol"]["samples"] == "train split"


def test_digits_floor_is_finite_below_a_noise_generator_and_deterministic(digits):
    a = data_floor(digits, ["fid", "kid"])
    b = data_floor(digits, ["fid", "kid"])
    assert a["values"] == b["values"]
    noise = evaluate(MLPImages(), digits, ["fid", "kid"], n=2000)["values"]
    assert np.isfinite(a["values"]["fid"]) and 0 < a["values"]["fid"] < noise["fid"] / 10
    assert a["values"]["kid_mean"] < noise["kid_mean"]
    # 10,000 asked for, the 1,258 training digits are what there is
    assert a["protocol"]["n_generated"] == len(digits.train) == 1258


def test_metrics_of_the_networks_are_skipped_with_their_reason(digits):
    floor = data_floor(digits, ["fid", "mre", "inception_score"], n=400)
    assert set(floor["values"]) == {"fid", "is_mean", "is_std"}
    assert set(floor["skipped"]) == {"mre"} and "generator" in floor["skipped"]["mre"]
    assert "mre" not in floor["protocol"]["metrics"]


def test_default_metrics_and_labels_of_the_stand_ins(digits):
    floor = data_floor(digits, None, n=300)  # the digits' declared end-of-run metrics
    assert {"fid", "precision", "recall"} <= set(floor["values"]) and "mre" in floor["skipped"]
    x, y = floor_samples(digits, 300)
    rows = {img.numpy().tobytes(): label for img, label in zip(digits.train, digits.labels["train"], strict=True)}
    assert [rows[img.numpy().tobytes()] for img in x] == y.tolist()


def test_options_reach_the_metrics(digits):
    floor = data_floor(digits, ["kid", "fid"], n=300, options={"kid": {"subset_size": 50}})
    assert floor["protocol"]["metrics"]["kid"]["options"]["subset_size"] == 50
    assert torch.equal(floor_samples(digits, 300, seed=1)[0], floor_samples(digits, 300, seed=1)[0])
    assert not torch.equal(floor_samples(digits, 300, seed=1)[0], floor_samples(digits, 300, seed=2)[0])


@pytest.mark.parametrize("n", [1, 1258, 5000])
def test_count_is_capped_by_the_training_split_and_drawn_without_replacement(digits, n):
    numbered = Dataset("numbered", "image", train=torch.arange(1258.0).reshape(-1, 1, 1, 1), val=torch.zeros(2, 1, 1, 1),
                       test=torch.zeros(2, 1, 1, 1))  # fmt: skip
    x = floor_samples(numbered, n)[0].flatten()
    assert len(x) == min(n, 1258) and len(set(x.tolist())) == len(x)
