"""Verdicts on synthetic trajectories with a known fate."""

from __future__ import annotations

import numpy as np

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
