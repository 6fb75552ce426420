"""The generalization experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

import math

from tests.helpers import experiment_outputs, read_csv


def test_generalization_quick(quick_run) -> None:  # noqa: ANN001
    from ganlab.experiments.generalization import MODELS

    folder = quick_run("generalization")
    result = experiment_outputs(folder, ["mre"], ["mre_vs_step"])
    rows = read_csv(folder / "mre.csv")
    assert [r["model"] for r in rows] == list(MODELS)
    for r in rows:
        assert math.isfinite(float(r["test_mean"])) and float(r["test_mean"]) > 0
        assert math.isfinite(float(r["train_mean"])) and float(r["train_mean"]) > 0
    for label, per_seed in result["curves"].items():
        assert [h["step"] for h in per_seed[0]] == [0, 30, 60], label
