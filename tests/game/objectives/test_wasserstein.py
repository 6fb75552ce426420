"""The WGAN critic loss against numpy."""

import numpy as np
from numpy.testing import assert_allclose

from ganlab.game import OBJECTIVES
from tests.helpers import DF, DR, logit_batch


def test_wasserstein_against_numpy():
    batch, _, _ = logit_batch(DR, DF)
    obj = OBJECTIVES.get("wasserstein")()
    assert_allclose(obj.d_loss(batch).item(), np.mean(DF) - np.mean(DR), rtol=1e-12)
    assert_allclose(obj.g_loss(batch).item(), -np.mean(DF), rtol=1e-12)
