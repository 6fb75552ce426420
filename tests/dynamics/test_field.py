"""The Dirac field comes from the Game by autograd: check it against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlab.dynamics import Dirac, DiracField, dirac_for, spectrum, vector_field
from ganlab.game import OBJECTIVES
from ganlab.game.factory import make_game

sig = torch.sigmoid


def _states(d: Dirac, n: int = 5, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(d.n_state, generator=g, dtype=torch.float64) for _ in range(n)]


@pytest.mark.parametrize("k", [2, 3])
def test_non_saturating_eigenvalues_are_pm_i_half(k: int) -> None:
    game = make_game("non_saturating")
    spec = spectrum(DiracField(game, Dirac(k=k)))
    expected = np.array([-0.5j] * k + [0.5j] * k)
    np.testing.assert_allclose(np.sort_complex(spec.eigenvalues), np.sort_complex(expected), atol=1e-12)
    assert spec.label == "centre" and spec.residual == 0.0


@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.5])
def test_r1_eigenvalues_match_the_closed_form(gamma: float) -> None:
    # Our R1 is (γ/2)‖∇D‖² = (γ/2)‖φ‖², so ∂/∂φ = γφ and, per dimension, J = [[−γ, −½], [½, 0]]:
    # λ² + γλ + ¼ = 0  →  λ = −γ/2 ± √(γ²/4 − 1/4) (critical damping at γ = 1).
    game = make_game("non_saturating", penalties=[{"name": "r1", "gamma": gamma}])
    spec = spectrum(DiracField(game, Dirac(k=2)))
    root = np.sqrt(complex(gamma**2 / 4 - 0.25))
    expected = np.array([-gamma / 2 + root, -gamma / 2 - root] * 2)
    np.testing.assert_allclose(np.sort_complex(spec.eigenvalues), np.sort_complex(expected), atol=1e-6)
    assert spec.label == "attracting"


def _hand_field(name: str, phi: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Fields derived on paper (seed 004 and Mescheder et al. 2018), φ first."""
    u = phi @ theta
    if name == "non_saturating":  # φ̇ = −σ(u)θ, θ̇ = (1 − σ(u))φ
        return torch.cat([-sig(u) * theta, (1 - sig(u)) * phi])
    if name == "minimax":  # φ̇ = −σ(u)θ, θ̇ = σ(u)φ
        return torch.cat([-sig(u) * theta, sig(u) * phi])
    if name == "wgan_gp1":  # λ = 1, c = 1: φ̇ = −θ − 2λ(1 − c/‖φ‖)φ, θ̇ = φ
        return torch.cat([-theta - 2 * (1 - 1 / phi.norm()) * phi, phi])
    if name == "wgan_normalised":  # φ̇ = −θ/‖φ‖ + (θ·φ)φ/‖φ‖³, θ̇ = φ/‖φ‖
        n = phi.norm()
        return torch.cat([-theta / n + u * phi / n**3, phi / n])
    if name == "gan_qp_l2":  # distance "l2" = ‖θ‖/√k; λ = 10; plus L2 0.1 on φ
        dist = theta.pow(2).mean().sqrt()
        return torch.cat([-theta - u * theta / (10 * dist) - 0.2 * phi, phi])
    raise KeyError(name)


_GAMES = {
    "non_saturating": (dict(objective="non_saturating"), False),
    "minimax": (dict(objective="minimax"), False),
    "wgan_gp1": (dict(objective="wasserstein", penalties=[{"name": "gp", "lam": 1.0, "center": 1.0}]), False),
    "wgan_normalised": (dict(objective="wasserstein"), True),
    "gan_qp_l2": (dict(objective="gan_qp", params={"distance": "l2", "eps": 1e-12},
                       penalties=[{"name": "l2", "lam": 0.1}]), False),
}


@pytest.mark.parametrize("name", list(_GAMES))
def test_autograd_field_equals_hand_derived_field(name: str) -> None:
    kwargs, normalise = _GAMES[name]
    game = make_game(**kwargs)
    d = Dirac(k=2, normalise=normalise)
    for state in _states(d):
        phi, theta = d.split(state)
        torch.testing.assert_close(vector_field(game, d, state), _hand_field(name, phi, theta), rtol=1e-9, atol=1e-9)


def test_jacobian_equals_finite_differences() -> None:
    game = make_game("gan_qp", {"distance": "l2"}, penalties=[{"name": "l2", "lam": 0.1}])
    field = DiracField(game, Dirac(k=2))
    x = _states(field.dirac, 1, seed=3)[0]
    jac = field.jacobian(x)
    eps = 1e-6
    cols = [(field(x + eps * e) - field(x - eps * e)) / (2 * eps) for e in torch.eye(x.numel(), dtype=torch.float64)]
    torch.testing.assert_close(jac, torch.stack(cols, dim=1), rtol=1e-6, atol=1e-6)


def _grid(d: Dirac) -> list[torch.Tensor]:
    """States around the equilibrium, including θ = 0, φ = 0 and both."""
    g = torch.Generator().manual_seed(1)
    out = []
    for scale in (0.0, 1e-6, 0.1, 1.0):
        for which in ("both", "phi0", "theta0"):
            x = scale * torch.randn(d.n_state, generator=g, dtype=torch.float64)
            if which == "phi0":
                x[d.blocks[0]] = 0
            elif which == "theta0":
                x[d.blocks[1]] = 0
            out.append(x)
    return out


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_every_registered_objective_has_a_finite_field_and_jacobian(name: str) -> None:
    game = make_game(name)
    d = dirac_for(game.objective, k=2)  # raises for an output kind without a Dirac D: no silent skip
    field = DiracField(game, d)
    for x in _grid(d):
        f = field(x)
        assert f.shape == (d.n_state,) and torch.isfinite(f).all(), f"{name}: field not finite at {x.tolist()}"
    assert torch.isfinite(field.jacobian(d.equilibrium())).all()


def test_l2_penalty_sees_the_dirac_phi() -> None:
    d = Dirac(k=2)
    x = _states(d, 1)[0]
    plain = vector_field(make_game("hinge"), d, x)
    with_l2 = vector_field(make_game("hinge", penalties=[{"name": "l2", "lam": 0.3}]), d, x)
    torch.testing.assert_close(with_l2 - plain, torch.cat([-0.6 * d.split(x)[0], torch.zeros(2, dtype=torch.float64)]))


def test_vector_and_energy_heads_have_their_own_dirac_d() -> None:
    sphere = dirac_for(OBJECTIVES.get("sphere")(), k=2) if "sphere" in OBJECTIVES else Dirac(k=2, kind="vector")
    assert sphere.kind == "vector" and sphere.n_phi == 4
    auto = Dirac(k=3, kind="energy")
    assert auto.build_d()(torch.ones(2, 3, dtype=torch.float64)).shape == (2, 3)  # a reconstruction
    assert math.prod(auto.phi_shape) == 9
