"""MRE: the mean reconstruction error of data by a generator, as a metric and along training."""

import numpy as np
import pytest
import torch
from torch import nn

from ganlab.metrics import evaluate, mre_along_training, reconstruction_errors
from tests.helpers import LinearImages


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


def test_mre_reports_per_sample_values(digits):
    r = evaluate(LinearImages(), digits, ["mre"], options={"mre": {"n": 10, "steps": 5}})
    per = r["per_sample"]["mre"]
    assert len(per) == 10 and r["values"]["mre"] == pytest.approx(np.mean(per))
