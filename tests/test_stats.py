"""Statistics over seeds: describe's interval and compare's verdicts, against independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.stats import compare, compare_times, comparison_text, describe


def test_describe_t_interval_is_students():
    from scipy import stats

    v = [0.3, 0.9, 0.4, 0.7, 0.65]
    d = describe(v)
    lo, hi = stats.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=stats.sem(v))
    assert (d["ci_low"], d["ci_high"]) == pytest.approx((lo, hi))
    assert describe([1.0, float("nan")])["n_nan"] == 1


def test_paired_p_value_is_the_exact_sign_flip_test():
    a = np.array([3.1, 2.9, 3.4, 3.8, 2.7, 3.3])
    b = np.array([2.8, 3.0, 2.9, 3.1, 2.6, 2.9])
    d = a - b
    flips = [abs(np.mean(np.array(s) * d)) for s in itertools.product([-1, 1], repeat=len(d))]
    expected = np.mean([f >= abs(d.mean()) - 1e-12 for f in flips])
    c = compare(a, b, expect="greater")
    assert c["p"] == pytest.approx(expected)
    assert c["effect"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert c["diff"] == pytest.approx(d.mean()) and c["ci_low"] <= c["diff"] <= c["ci_high"]
    # the bootstrap interval excludes 0, the exact test does not reach 5 %: not decided
    assert c["ci_low"] > 0 and c["p"] > 0.05 and c["verdict"] == "inconclusive"
    few = compare(a[:5] + 1, b[:5], expect="greater")  # 5 pairs all one way: the exact test's smallest p is 2/32
    assert few["ci_low"] > 0 and few["p"] == pytest.approx(2 / 32) and few["verdict"] == "inconclusive"
    eight = compare(np.r_[a, 3.5, 3.6] + 1, np.r_[b, 3.0, 3.1], expect="greater")
    assert eight["p"] == pytest.approx(2 / 256) and eight["verdict"] == "agrees"


def test_unpaired_uses_welch_and_pooled_cohens_d():
    a, b = np.array([1.0, 1.2, 0.9, 1.1]), np.array([0.5, 0.7, 0.2, 0.6, 0.4])
    c = compare(a, b, expect="greater", paired=False)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    from scipy.stats import t as student

    assert c["p"] == pytest.approx(2 * student.sf(abs(t), df))
    pooled = math.sqrt((3 * a.var(ddof=1) + 4 * b.var(ddof=1)) / 7)
    assert c["effect"] == pytest.approx((a.mean() - b.mean()) / pooled)
    assert c["verdict"] == "agrees" and (c["n_a"], c["n_b"]) == (4, 5)


def test_verdicts_follow_the_interval_and_diverged_runs_drop_pairwise():
    rng = np.random.default_rng(0)
    base = rng.normal(size=10)
    assert compare(base - 1, base + rng.normal(0, 0.1, 10), expect="less")["verdict"] == "agrees"
    assert compare(base - 1, base + rng.normal(0, 0.1, 10), expect="greater")["verdict"] == "disagrees"
    assert compare([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0], expect="less")["verdict"] == "inconclusive"
    c = compare([1.0, float("nan"), 2.0, 3.0], [0.0, 5.0, float("nan"), 1.0], expect="greater")
    assert c["n_a"] == 2 and c["diff"] == pytest.approx(1.5)
    assert compare([1.0], [0.0], expect="greater")["verdict"] == "inconclusive"
    assert "inconclusive" in comparison_text(compare([1.0], [0.0], expect="greater"))
    with pytest.raises(ValueError, match="expect"):
        compare([1.0, 2.0], [0.0, 1.0], expect="bigger")


number = st.integers(-1000, 1000).map(lambda i: i / 10)  # exact decimals: no denormals lost to rounding under a shift
values = st.lists(number, min_size=3, max_size=12)


@given(a=values, shift=st.integers(-50, 50), scale=st.sampled_from([0.5, 2.0, 4.0, 10.0]), data=st.data())
@settings(max_examples=60, deadline=None)
def test_verdicts_are_symmetric_and_invariant_to_units(a, shift, scale, data):
    """Property: swapping the sides flips the claim's direction, not the verdict; a change of units
    (b ↦ k·b + c on both sides, k > 0) changes neither the verdict nor p nor the effect size."""
    b = data.draw(st.lists(number, min_size=len(a), max_size=len(a)))
    c = compare(a, b, expect="less")
    assert compare(b, a, expect="greater")["verdict"] == c["verdict"]
    moved = compare([scale * x + shift for x in a], [scale * y + shift for y in b], expect="less")
    if c["diff"] is not None and abs(c["diff"]) > 1e-6 and np.ptp(np.subtract(a, b)) > 1e-6:
        assert moved["p"] == pytest.approx(c["p"])
        assert moved["effect"] == pytest.approx(c["effect"], rel=1e-6)
        assert moved["verdict"] == c["verdict"]


NAN = float("nan")


def test_times_to_a_target_count_never_reached_as_censored_not_dropped():
    """A seed that never reaches the target orders its pair (it is later than any run that did
    within its budget); the p-value is the exact two-sided sign test on the ordered pairs."""
    a = [100.0, 200.0, 150.0, 300.0, 250.0, 100.0, 400.0, 200.0, 500.0, 120.0]
    b = [NAN] * 8 + [600.0, 100.0]  # b reaches it twice, once before a
    c = compare_times(a, b, expect="less", budget=1000)
    assert (c["wins_a"], c["wins_b"], c["censored_a"], c["censored_b"]) == (9, 1, 0, 8)
    p = sum(math.comb(10, k) for k in range(11) if math.comb(10, k) <= math.comb(10, 9)) / 2**10  # two-sided, as scipy
    assert c["p"] == pytest.approx(p) and c["p"] < 0.05
    assert c["effect"] == pytest.approx(0.8) and c["verdict"] == "agrees"
    assert c["diff"] is None  # b's median is censored: no difference of medians
    assert compare(a, b, expect="less")["verdict"] == "inconclusive"  # what dropping them did
    assert compare_times(a, b, expect="greater", budget=1000)["verdict"] == "disagrees"
    assert "a first in 9 of 10 pairs" in comparison_text(c)


def test_censored_pairs_are_ordered_only_when_the_order_is_known():
    # both censored: unordered; a censored at CPU 5 s but b reached at 8 s: unordered (a might have arrived at 6 s)
    c = compare_times([NAN, NAN, 2.0], [NAN, 8.0, 3.0], expect="less", budget=([10.0, 5.0, 4.0], [10.0, 9.0, 9.0]))
    assert (c["wins_a"], c["wins_b"]) == (1, 0)
    assert c["p"] == 1.0 and c["verdict"] == "inconclusive"
    assert compare_times([NAN, NAN], [NAN, NAN], expect="less", budget=10)["verdict"] == "inconclusive"
    with pytest.raises(ValueError, match="exceeds its budget"):
        compare_times([20.0], [1.0], expect="less", budget=10)
    with pytest.raises(ValueError, match="one budget per run"):
        compare_times([1.0, 2.0], [1.0, 2.0], expect="less", budget=([10.0], [10.0, 10.0]))


times = st.lists(st.one_of(st.integers(1, 100).map(float), st.just(NAN)), min_size=2, max_size=14)


@given(a=times, data=st.data(), scale=st.sampled_from([0.5, 3.0, 60.0]))
@settings(max_examples=80, deadline=None)
def test_time_comparisons_are_symmetric_and_invariant_to_units(a, data, scale):
    """Property: swapping the sides swaps the wins and flips the effect; a change of units of the
    times and the budget (seconds ↦ minutes) changes nothing; a verdict needs p < 0.05."""
    b = data.draw(st.lists(st.one_of(st.integers(1, 100).map(float), st.just(NAN)), min_size=len(a), max_size=len(a)))
    c = compare_times(a, b, expect="less", budget=100)
    s = compare_times(b, a, expect="greater", budget=100)
    assert (s["wins_a"], s["wins_b"]) == (c["wins_b"], c["wins_a"]) and s["verdict"] == c["verdict"]
    assert s["effect"] == pytest.approx(-c["effect"])
    u = compare_times([scale * x for x in a], [scale * y for y in b], expect="less", budget=100 * scale)
    assert (u["wins_a"], u["wins_b"], u["p"], u["verdict"]) == (c["wins_a"], c["wins_b"], c["p"], c["verdict"])
    assert c["verdict"] == "inconclusive" or c["p"] < 0.05
    assert c["wins_a"] + c["wins_b"] <= len(a)
