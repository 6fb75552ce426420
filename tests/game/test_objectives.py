"""The core objectives against numpy, plus meaning checks from the papers."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from ganlab import OBJECTIVES, Batch, make_game


def logit_batch(d_real, d_fake):
    """A Batch whose D is the identity, so x *is* D's output: losses as functions of logits."""
    dr = torch.as_tensor(d_real, dtype=torch.float64).reshape(-1, 1).clone().requires_grad_(True)
    df = torch.as_tensor(d_fake, dtype=torch.float64).reshape(-1, 1).clone().requires_grad_(True)
    return Batch(torch.nn.Identity(), dr, df), dr, df


def np_softplus(x):
    return np.logaddexp(0.0, x)


RNG = np.random.default_rng(0)
DR = RNG.normal(size=7) * 3
DF = RNG.normal(size=7) * 3


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


def test_least_squares_against_numpy():
    a, b, c = -1.0, 1.0, 0.0
    batch, _, _ = logit_batch(DR, DF)
    obj = OBJECTIVES.get("least_squares")(a=a, b=b, c=c)
    assert_allclose(obj.d_loss(batch).item(), 0.5 * np.mean((DR - b) ** 2) + 0.5 * np.mean((DF - a) ** 2), rtol=1e-12)
    assert_allclose(obj.g_loss(batch).item(), 0.5 * np.mean((DF - c) ** 2), rtol=1e-12)
    # at its optimum for fixed G, D outputs b on reals and a on fakes: zero loss
    batch, _, _ = logit_batch(np.full(3, b), np.full(3, a))
    assert obj.d_loss(batch).item() == 0.0


def test_hinge_against_numpy():
    batch, _, _ = logit_batch(DR, DF)
    obj = OBJECTIVES.get("hinge")()
    assert_allclose(obj.d_loss(batch).item(), np.mean(np.maximum(0, 1 - DR)) + np.mean(np.maximum(0, 1 + DF)), rtol=1e-12)
    assert_allclose(obj.g_loss(batch).item(), -np.mean(DF), rtol=1e-12)


def test_wasserstein_against_numpy():
    batch, _, _ = logit_batch(DR, DF)
    obj = OBJECTIVES.get("wasserstein")()
    assert_allclose(obj.d_loss(batch).item(), np.mean(DF) - np.mean(DR), rtol=1e-12)
    assert_allclose(obj.g_loss(batch).item(), -np.mean(DF), rtol=1e-12)


@pytest.mark.parametrize("name", ["minimax", "non_saturating", "max_likelihood", "least_squares", "hinge", "wasserstein"])
def test_finite_on_extreme_logits(name):
    batch, dr, df = logit_batch([0.0, 50.0, -50.0], [0.0, -50.0, 50.0])
    obj = OBJECTIVES.get(name)()
    loss = obj.d_loss(batch) + obj.g_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(dr.grad).all() and torch.isfinite(df.grad).all()


def test_objective_hyperparameters_are_dataclass_fields():
    import dataclasses

    fields = {f.name for f in dataclasses.fields(OBJECTIVES.get("least_squares"))}
    assert fields == {"a", "b", "c"}
    game = make_game("least_squares", {"a": -1, "b": 1, "c": 0})
    assert game.objective.a == -1.0
