"""EBGAN (an autoencoder D's reconstruction energy with a margin) against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import check_against_numpy


def ref_ebgan(margin=1.0):
    def energy(rec, x):
        return ((rec - x) ** 2).mean(axis=1)

    return (
        lambda dr, df, xr, xf: energy(dr, xr).mean() + np.maximum(margin - energy(df, xf), 0).mean(),
        lambda dr, df, xr, xf: energy(df, xf).mean(),
    )


# (name, params, D kind, numpy reference)
CASES = [
    ("ebgan", "ebgan", {}, "energy", ref_ebgan()),
    ("ebgan-m", "ebgan", {"margin": 0.05}, "energy", ref_ebgan(0.05)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)
