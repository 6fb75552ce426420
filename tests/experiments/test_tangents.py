"""The tangents experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from tests.helpers import experiment_outputs


def test_tangents_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("tangents")
    result = experiment_outputs(folder, ["tangents", "tangents_runs"], ["localized_spectrum", "localized_edits", "budget"])
    assert set(result["budget"]) == {"ring8"} and result["budget"]["ring8"]["horizon"] == 400  # the budget stage ran
    pens = {r["penalty"] for r in result["runs"]}
    assert pens == {"none", "orthonormal_tangent"}
    assert all(r["erank"] > 0 for r in result["runs"])
