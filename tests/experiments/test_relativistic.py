"""The relativistic experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

import math

from tests.helpers import assert_tuned_rows_follow_validation, experiment_outputs, read_csv


def test_relativistic_quick(quick_run) -> None:  # noqa: ANN001
    from ganlab.experiments.relativistic import SETUPS

    folder = quick_run("relativistic")
    result = experiment_outputs(folder, ["relativistic", "relativistic_tuned", "relativistic_validation"],
                                ["hq_vs_time", "hq_vs_time_tuned", "budget"])  # fmt: skip
    # the budget stage ran on the baseline's long validation run; quick mode keeps its fixed 200 steps
    assert result["budget"]["horizon"] == 400 and result["steps"] == 200
    assert "**Budget.** The budget rule on the baseline SGAN" in (folder / "README.md").read_text()
    rows = read_csv(folder / "relativistic.csv")
    assert [r["setup"] for r in rows] == list(SETUPS)
    for per_seed in [*result["histories"].values(), *result["histories_tuned"].values()]:
        assert [h["step"] for h in per_seed[0]] == [0, 50, 100, 150, 200]
        assert all(h["cpu"] >= 0 for h in per_seed[0])
    # the % HQ target is 90 % of the baseline's budget-stage plateau, and each row's steps to it are read off its history
    target = result["hq_target"]
    assert target == max(1, math.floor(0.9 * result["budget"]["plateau"]))
    for row in rows:
        first = next((h["step"] for h in result["histories"][row["setup"]][0] if h["hq"] >= target), None)
        assert row["reach_hq_mean"] == ("nan" if first is None else str(float(first)))


def test_relativistic_quick_tuned_rows_follow_the_validation_runs(quick_run) -> None:  # noqa: ANN001
    """Each tuned row is the setting the modes rule picks from the validation table, with the overrides
    it names; a setup without a penalty gets D steps in its grid, one with a penalty its weight."""
    folder = quick_run("relativistic")
    result = experiment_outputs(folder, [], [])
    val = read_csv(folder / "relativistic_validation.csv")
    tuned = {r["setup"]: r for r in read_csv(folder / "relativistic_tuned.csv")}
    declared = {r["setup"]: r for r in read_csv(folder / "relativistic.csv")}
    assert set(tuned) == {r["setup"] for r in val} == {"RSGAN", "WGAN-div (k=2, p=6, n_D=5)"}
    assert_tuned_rows_follow_validation(val, tuned, declared, result["chosen"])
    assert [r["setting"] for r in val if r["setup"] == "RSGAN"][3:] == ["n_D ×2 (n_D=2)", "n_D ×5 (n_D=5)"]
    assert [r["setting"] for r in val if r["setup"].startswith("WGAN-div")][3:] == ["strength ×10 (k=20)", "strength ×0.1 (k=0.2)"]
