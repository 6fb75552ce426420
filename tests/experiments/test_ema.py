"""The ema experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from tests.helpers import experiment_outputs, read_csv


def test_ema_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("ema")
    result = experiment_outputs(folder, ["ema"], ["ema_hq", "budget"])
    # the budget stage ran (a 400-step horizon in quick mode), and quick mode keeps its fixed 300 steps
    assert result["steps"] == 300 and all(r["horizon"] == 400 for r in result["budget"].values())
    rows = {r["generator"]: r for r in read_csv(folder / "ema.csv")}
    assert set(rows) == {"raw G", "EMA 0.99", "EMA 0.999", "EMA 0.9999"}
    # within the warm-up (β_t = (1+t)/(10+t) < 0.99 for t < 891) the three averages are the same weights
    for key in ("modes_mean", "hq_mean"):
        assert rows["EMA 0.99"][key] == rows["EMA 0.999"][key] == rows["EMA 0.9999"][key]
