"""LSGAN against numpy."""

import numpy as np
from numpy.testing import assert_allclose

from ganlab.game import OBJECTIVES
from tests.helpers import DF, DR, logit_batch


def test_least_squares_against_numpy():
    a, b, c = -1.0, 1.0, 0.0
    batch, _, _ = logit_batch(DR, DF)
    obj = OBJECTIVES.get("least_squares")(a=a, b=b, c=c)
    assert_allclose(obj.d_loss(batch).item(), 0.5 * np.mean((DR - b) ** 2) + 0.5 * np.mean((DF - a) ** 2), rtol=1e-12)
    assert_allclose(obj.g_loss(batch).item(), 0.5 * np.mean((DF - c) ** 2), rtol=1e-12)
    # at its optimum for fixed G, D outputs b on reals and a on fakes: zero loss
    batch, _, _ = logit_batch(np.full(3, b), np.full(3, a))
    assert obj.d_loss(batch).item() == 0.0
