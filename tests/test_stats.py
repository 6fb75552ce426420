"""Statistics over seeds: describe's interval and compare's verdicts, against independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.stats import compare, comparison_text, describe


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
