"""The relativistic experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from tests.helpers import experiment_outputs, read_csv


def test_relativistic_quick(quick_run) -> None:  # noqa: ANN001
    from ganlab.experiments.relativistic import SETUPS

    folder = quick_run("relativistic")
    result = experiment_outputs(folder, ["relativistic"], ["hq_vs_time"])
    rows = read_csv(folder / "relativistic.csv")
    assert [r["setup"] for r in rows] == list(SETUPS)
    for per_seed in result["histories"].values():
        assert [h["step"] for h in per_seed[0]] == [0, 50, 100, 150, 200]
        assert all(h["cpu"] >= 0 for h in per_seed[0])
