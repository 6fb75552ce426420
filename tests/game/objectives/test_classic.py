"""Minimax, non-saturating and maximum-likelihood GAN against numpy, plus the papers' meaning checks."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ganlab.game import OBJECTIVES
from tests.helpers import DF, DR, logit_batch


@pytest.mark.parametrize("name", ["minimax", "non_saturating", "max_likelihood"])
def test_shared_bce_discriminator_loss(name):
    batch, _, _ = logit_batch(DR, DF)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    expected = -np.mean(np.log(sig(DR))) - np.mean(np.log(1 - sig(DF)))
    assert_allclose(OBJECTIVES.get(name)().d_loss(batch).item(), expected, rtol=1e-10)


def test_generator_losses_against_numpy():
    sig = 1 / (1 + np.exp(-DF))
    expected = {
        "minimax": np.mean(np.log(1 - sig)),
        "non_saturating": -np.mean(np.log(sig)),
        "max_likelihood": -0.5 * np.mean(np.exp(DF)),
    }
    for name, value in expected.items():
        batch, _, _ = logit_batch(DR, DF)
        assert_allclose(OBJECTIVES.get(name)().g_loss(batch).item(), value, rtol=1e-10)


def test_generator_gradients_are_the_papers():
    """∂L_G/∂d_f: minimax −σ(d_f), non-saturating −(1 − σ(d_f)), maximum likelihood −½e^{d_f}."""
    sig = 1 / (1 + np.exp(-DF))
    expected = {"minimax": -sig, "non_saturating": -(1 - sig), "max_likelihood": -0.5 * np.exp(DF)}
    grads = {}
    for name, g in expected.items():
        batch, _, df = logit_batch(DR, DF)
        OBJECTIVES.get(name)().g_loss(batch).backward()
        grads[name] = df.grad.numpy().ravel() * len(DF)  # undo the batch mean
        assert_allclose(grads[name], g, rtol=1e-10)
    # three different losses, not one under three names (a known bug of popular code)
    assert not np.allclose(grads["minimax"], grads["non_saturating"])
    assert not np.allclose(grads["minimax"], grads["max_likelihood"])
    assert not np.allclose(grads["non_saturating"], grads["max_likelihood"])


def test_minimax_saturates_where_non_saturating_does_not():
    """Early in training D rejects fakes (d_f ≪ 0): minimax's gradient vanishes, NS's does not."""
    batch, _, df = logit_batch([5.0], [-8.0])
    OBJECTIVES.get("minimax")().g_loss(batch).backward()
    mm = abs(df.grad.item())
    batch, _, df = logit_batch([5.0], [-8.0])
    OBJECTIVES.get("non_saturating")().g_loss(batch).backward()
    assert mm < 1e-3 < 0.99 < abs(df.grad.item())


def test_minimax_at_half_is_two_log_two_and_stationary():
    """At the Nash equilibrium D ≡ ½ (d = 0): L_D = 2 log 2 and D has no gradient."""
    batch, dr, df = logit_batch(np.zeros(5), np.zeros(5))
    loss = OBJECTIVES.get("minimax")().d_loss(batch)
    assert_allclose(loss.item(), 2 * math.log(2), rtol=1e-12)
    # with p_G = p_data the optimal D is ½: the per-sample gradients of real and fake cancel
    loss.backward()
    assert_allclose((dr.grad + df.grad).numpy(), 0.0, atol=1e-12)
