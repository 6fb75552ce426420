"""The tangents experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from tests.helpers import experiment_outputs


def test_tangents_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("tangents")
    result = experiment_outputs(folder, ["tangents", "tangents_runs"])
    pens = {r["penalty"] for r in result["runs"]}
    assert pens == {"none", "orthonormal_tangent"}
    assert all(r["erank"] > 0 for r in result["runs"])


def test_tangents_quick_weight_is_the_validation_best(quick_run) -> None:  # noqa: ANN001
    from tests.helpers import read_csv

    folder = quick_run("tangents")
    val = read_csv(folder / "tangents_validation.csv")
    best = max(val, key=lambda r: (float(r["erank"]), -float(r["weight"])))
    assert [r["chosen"] for r in val].count("✓") == 1 and best["chosen"] == "✓"
    used = {float(r["weight"]) for r in read_csv(folder / "tangents_runs.csv") if r["penalty"] == "orthonormal_tangent"}
    assert used == {float(best["weight"])}
    assert {"ssl", "ssl_validation"} <= {p.stem for p in folder.glob("*.csv")}
