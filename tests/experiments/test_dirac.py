"""The dirac experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from tests.helpers import experiment_outputs, read_csv


def test_dirac_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("dirac")
    experiment_outputs(folder, ["verdicts"])
    rows = {r["case"]: r for r in read_csv(folder / "verdicts.csv")}
    assert len(rows) == 9
    assert rows["non-saturating"]["verdict"] == "oscillates"
    assert rows["WGAN-GP c=0"]["verdict"] == "converges"
    assert rows["R1 (γ=1)"]["verdict"] == "converges"
    assert rows["WGAN-GP c=1"]["verdict"] == "converges_to_set"
    # seed 004's zero-centred WGAN-div converges, slowly: a power-law envelope, exponent ≈ 1/4 already at t = 50
    assert rows["WGAN-div (k=2, p=6)"]["verdict"] == "converges_slowly"
    assert all(r["agrees"] == "✓" for r in rows.values()), {k: r["verdict"] for k, r in rows.items() if r["agrees"] != "✓"}
