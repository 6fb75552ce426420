"""Integrators on problems with exact solutions (they know nothing about GANs)."""

from __future__ import annotations

import numpy as np
import torch

from ganlab.dynamics import alternating, ema, ode, simultaneous

ROT = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)  # ẋ = A x: rotation, x = (φ, θ)


def rotation(x, part=None, step=None):
    f = ROT @ x
    return f if part is None else f[part : part + 1]


BLOCKS = [slice(0, 1), slice(1, 2)]


def test_ode_follows_the_exact_rotation() -> None:
    x0 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    for method in ("DOP853", "rk4"):
        path = ode(rotation, x0, 10.0, 101, method=method, h=0.01)
        exact = np.stack([np.cos(path.t), np.sin(path.t)], axis=1)
        np.testing.assert_allclose(path.x, exact, atol=1e-6)


def test_simultaneous_steps_grow_by_sqrt_one_plus_eta_squared() -> None:
    eta, steps = 0.1, 50
    path = simultaneous(rotation, torch.tensor([1.0, 0.0], dtype=torch.float64), BLOCKS, [eta, eta], steps)
    np.testing.assert_allclose(np.linalg.norm(path.x[-1]), (1 + eta**2) ** (steps / 2), rtol=1e-12)


def test_alternating_steps_stay_bounded_and_match_the_map() -> None:
    eta, steps = 0.1, 2000
    path = alternating(rotation, torch.tensor([1.0, 0.0], dtype=torch.float64), BLOCKS, [eta, eta], steps)
    # φ ← φ − ηθ, then θ ← θ + ηφ_new: a symplectic map with |det| = 1, bounded for η < 2
    m = np.array([[1.0, 0.0], [eta, 1.0]]) @ np.array([[1.0, -eta], [0.0, 1.0]])
    np.testing.assert_allclose(path.x[-1], np.linalg.matrix_power(m, steps) @ np.array([1.0, 0.0]), atol=1e-9)
    assert np.abs(path.x).max() < 1.2


def test_n_critic_and_ttur_step_sizes() -> None:
    calls = []

    def field(x, part=None, step=None):
        calls.append(part)
        return rotation(x, part, step)

    alternating(field, torch.tensor([1.0, 0.0], dtype=torch.float64), BLOCKS, [0.2, 0.05], 3, repeats=[5, 1])
    assert calls == ([0] * 5 + [1]) * 3


def test_ema_of_a_constant_is_the_constant_and_warmup_forgets_the_start() -> None:
    x = np.ones((100, 2))
    np.testing.assert_allclose(ema(x, 0.99), x)
    y = np.zeros((200, 2))
    y[0] = 100.0
    assert np.abs(ema(y, 0.999)[-1]).max() < np.abs(ema(y, 0.999, warmup=False)[-1]).max()
