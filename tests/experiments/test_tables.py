"""Table cells over seeds: mean ± std and the 95 % bootstrap interval of the mean, in markdown, CSV and JSON."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.experiments.tables import plain, stat, write_table
from tests.helpers import read_csv


def test_stat_interval_is_the_bootstrap_of_the_finite_values() -> None:
    values = [1.0, 2.0, 4.0, float("nan"), 7.0]
    s = stat(values, 2)
    v = np.array([1.0, 2.0, 4.0, 7.0])
    rng = np.random.default_rng(0)  # the documented resampling: 10,000 resamples of the finite values, seed 0
    means = v[rng.integers(0, 4, size=(10_000, 4))].mean(1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    assert s.ci == (float(lo), float(hi))
    assert str(s) == f"3.50 ± {np.std(v, ddof=1):.2f} [{lo:.2f}, {hi:.2f}] (1 n/a)"


def test_one_value_has_no_interval() -> None:
    s = stat([3.0])
    assert str(s) == "3.00" and all(math.isnan(x) for x in s.ci)
    assert plain(s)["ci_low"] is None


def test_csv_and_json_carry_the_interval(tmp_path) -> None:  # noqa: ANN001
    s = stat([1.0, 2.0, 3.0])
    write_table(tmp_path, "t", [{"name": "a", "x": s}])
    row = read_csv(tmp_path / "t.csv")[0]
    assert (float(row["x_ci_low"]), float(row["x_ci_high"])) == s.ci
    assert "[" in (tmp_path / "t.md").read_text()
    assert plain(s)["ci_low"] == s.ci[0] and plain(s)["ci_high"] == s.ci[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=12), st.floats(0.1, 10), st.floats(-100, 100))
def test_interval_holds_the_mean_and_moves_with_the_data(values: list[float], scale: float, shift: float) -> None:
    s = stat(values)
    lo, hi = s.ci
    assert lo <= s.mean + 1e-9 * (1 + abs(s.mean)) and s.mean - 1e-9 * (1 + abs(s.mean)) <= hi
    moved = stat([scale * x + shift for x in values])  # an affine change of units moves the interval with it
    assert np.allclose(moved.ci, (scale * lo + shift, scale * hi + shift), rtol=1e-9, atol=1e-6)


def test_band_over_seeds_is_the_bootstrap_at_each_step_and_drops_a_diverged_seed() -> None:
    from ganlab.experiments.tables import band_over_seeds
    from ganlab.stats import interval

    hists = [[{"step": 0, "hq": 1.0}, {"step": 10, "hq": 5.0}, {"step": 20, "hq": 7.0}],
             [{"step": 0, "hq": 2.0}, {"step": 10, "hq": 6.0}],  # diverged after step 10
             [{"step": 0, "hq": 3.0}, {"step": 10, "hq": 9.0}, {"step": 20, "hq": 8.0}, {"step": 30, "modes": 8}]]  # fmt: skip
    steps, mean, lo, hi = band_over_seeds(hists, "hq")
    assert steps == [0, 10, 20]  # step 30 did not evaluate hq
    assert np.allclose(mean, [2.0, 20 / 3, 7.5])
    for i, vals in enumerate(([1.0, 2.0, 3.0], [5.0, 6.0, 9.0], [7.0, 8.0])):
        assert (lo[i], hi[i]) == interval(np.array(vals), method="bootstrap")
    _, m1, l1, h1 = band_over_seeds(hists[:1], "hq")
    assert np.array_equal(m1, l1) and np.array_equal(m1, h1)  # one seed: the band is the curve


def test_budget_of_is_the_first_step_near_the_plateau() -> None:
    from ganlab.experiments.tables import budget_of

    curve = {3000: 50.0, 1000: 10.0, 2000: 91.0, 4000: 95.0}  # unordered on purpose; a dip after the first hit
    assert budget_of(curve, 100.0) == 2000
    assert budget_of(curve, 100.0, near=0.95) == 4000
    assert budget_of(curve, 200.0) is None
    assert budget_of({0: 0.0, 100: 0.0}, 0.0) is None  # nothing learned: no plateau to read a budget from


def test_budget_from_histories_averages_the_last_quarter_and_fits_its_trend() -> None:
    """Against a hand computation: two seeds, mean curve 10, 50, 82, 90 at steps 1–4. The last quarter
    (steps ≥ 3) averages 86, so 0.9 × 86 = 77.4 is first reached at step 3; its trend is (90 − 82)
    per step over one step = +8."""
    from ganlab.experiments.tables import budget_from_histories

    hists = [[{"step": s, "hq": v} for s, v in zip((1, 2, 3, 4), (0, 40, 84, 88))],
             [{"step": s, "hq": v} for s, v in zip((1, 2, 3, 4), (20, 60, 80, 92))]]  # fmt: skip
    got = budget_from_histories(hists, "hq")
    assert got["budget"] == 3 and got["horizon"] == 4
    assert abs(got["plateau"] - 86) < 1e-9 and abs(got["late_gain"] - 8) < 1e-9
    flat = [[{"step": s, "hq": 50.0} for s in range(100, 1100, 100)]]
    assert budget_from_histories(flat, "hq")["budget"] == 100 and abs(budget_from_histories(flat, "hq")["late_gain"]) < 1e-9
    assert budget_from_histories([[]], "hq")["budget"] is None


def test_budget_from_histories_skips_steps_whose_modes_are_below_their_plateau() -> None:
    """An untrained G on grid25 puts its samples on the central mode: a high % HQ with one mode. Those
    steps cannot set the budget; the first step with the modes at their plateau (25 − 0.5) and % HQ
    within 10 % of the last quarter's mean (90) can."""
    from ganlab.experiments.tables import budget_from_histories

    hq = (85, 5, 40, 85, 88, 90, 90, 90)
    modes = (1, 20, 25, 25, 25, 25, 25, 25)
    hist = [[{"step": 1000 * i, "hq": h, "modes": m} for i, (h, m) in enumerate(zip(hq, modes))]]
    assert budget_from_histories(hist, "hq")["budget"] == 3000
    assert budget_from_histories(hist, "hq", cover=None)["budget"] == 0  # the central-mode artefact


def test_budget_text_flags_a_curve_still_rising_at_the_horizon() -> None:
    from ganlab.experiments.tables import budget_text

    flat = {"budget": 5000, "plateau": 90.0, "late_gain": 1.0, "horizon": 30000}
    rising = {**flat, "late_gain": 10.0}  # 10 points over the last quarter: more than 5 % of 90
    assert "within 10 % of it with its modes at their plateau, from 5,000 steps" in budget_text(flat)
    assert "still rising" not in budget_text(flat)
    assert "still rising" in budget_text(rising)
    assert "no budget to read" in budget_text({**flat, "budget": None, "plateau": 0.0, "late_gain": 0.0})


def test_a_pipe_in_a_header_or_cell_keeps_the_column_count(tmp_path) -> None:  # noqa: ANN001
    from ganlab.report import _cells  # the report's own markdown-row parser

    md = write_table(tmp_path, "t", [{"a": "x|y", "b": 1.0}], [("a", "name"), ("b", "mean |Δ| of b")])
    header, rule, row = md.splitlines()
    assert len(_cells(header)) == len(_cells(row)) == rule.count("---") == 2
    assert _cells(header)[1] == "mean |Δ| of b" and _cells(row)[0] == "x|y"
