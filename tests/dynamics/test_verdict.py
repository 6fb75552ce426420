"""Verdicts on synthetic trajectories with a known fate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.dynamics import judge

T = np.linspace(0, 200, 801)


def _circle(r):
    return np.stack([r * np.cos(T), r * np.sin(T)], axis=1)


def test_verdicts_on_known_paths() -> None:
    assert judge(_circle(np.exp(-0.1 * T))).label == "converges"
    assert judge(_circle(np.full_like(T, 0.5))).label == "converges_to_set"
    ellipse = np.stack([np.cos(T), 0.3 * np.sin(T)], axis=1)
    assert judge(ellipse).label == "oscillates"
    assert judge(_circle(np.exp(0.02 * T))).label == "diverges"
    blown = _circle(np.ones_like(T))
    blown[500:] = np.nan
    assert judge(blown).label == "diverges"


def test_a_point_that_stops_away_from_zero_is_a_set() -> None:
    x = np.stack([1 + np.exp(-T), np.zeros_like(T)], axis=1)
    v = judge(x)
    assert v.label == "converges_to_set" and "stopped" in v.note


def _spiral(r):
    """An elliptic spiral: ‖θ‖ swings within each turn, its envelope is r(t)."""
    return np.stack([r * np.cos(T), 0.3 * r * np.sin(T)], axis=1)


def test_the_envelope_tells_exponential_from_power_law_convergence_and_from_an_orbit() -> None:
    fast = judge(_spiral(np.exp(-0.01 * T)), t=T)
    assert (fast.label, fast.decay) == ("converges", "exponential") and fast.rate == pytest.approx(0.01, rel=0.1)
    slow = judge(_spiral((1 + T) ** -0.25), t=T)
    assert (slow.label, slow.decay) == ("converges_slowly", "power law") and slow.rate == pytest.approx(0.25, rel=0.1)
    orbit = judge(_spiral(np.ones_like(T)), t=T)
    assert (orbit.label, orbit.decay) == ("oscillates", "none")


@given(alpha=st.floats(0.15, 1.0), lam=st.floats(0.004, 0.03), scale=st.floats(0.1, 10.0))
@settings(max_examples=40, deadline=None)
def test_decay_rates_are_recovered_at_any_scale(alpha, lam, scale) -> None:
    """Property: the fitted exponent / rate is the generating one (±10 %), for any starting size."""
    p = judge(scale * _spiral((1 + T) ** -alpha), t=T)
    assert p.label == "converges_slowly" and p.rate == pytest.approx(alpha, rel=0.1)
    e = judge(scale * _spiral(np.exp(-lam * T)), t=T)
    assert e.decay == "exponential" and e.rate == pytest.approx(lam, rel=0.1)


def test_a_swing_narrowing_onto_a_circle_is_not_convergence_to_zero() -> None:
    fade = np.exp(-0.01 * T)
    r, ecc = 0.5 + 0.5 * fade, 1 - 0.6 * fade  # outer edge r falls to 0.5, inner edge r·ecc rises to it
    v = judge(np.stack([r * np.cos(T), r * ecc * np.sin(T)], axis=1), t=T)
    assert (v.label, v.decay) == ("oscillates", "none") and "narrows" in v.note
