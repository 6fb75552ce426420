"""f-GAN against numpy (Table 2 applied literally), and the meaning of its critic and conjugates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy import optimize

from ganlab.errors import GanlabError
from ganlab.game import Batch
from ganlab.game.factory import make_game
from ganlab.game.objectives.fgan import DIVERGENCES, FGAN
from tests.helpers import F64, check_against_numpy, scalar_batch

# f-GAN: g_f and f* applied literally, as in Table 2 (moderate v only: no overflow care)
NP_FGAN = {
    "kl": (lambda v: v, lambda t: np.exp(t - 1)),
    "reverse_kl": (lambda v: -np.exp(-v), lambda t: -1 - np.log(-t)),
    "js": (lambda v: np.log(2) - np.log(1 + np.exp(-v)), lambda t: -np.log(2 - np.exp(t))),
    "gan": (lambda v: -np.log(1 + np.exp(-v)), lambda t: -np.log(1 - np.exp(t))),
    "pearson": (lambda v: v, lambda t: t * t / 4 + t),
    "neyman": (lambda v: 1 - np.exp(-v), lambda t: 2 - 2 * np.sqrt(1 - t)),
    "squared_hellinger": (lambda v: 1 - np.exp(-v), lambda t: t / (1 - t)),
    "total_variation": (lambda v: 0.5 * np.tanh(v), lambda t: t),
}
# the generator functions f(u) of the divergences (Table 1), for f′(1) and f* by optimisation
NP_F = {
    "kl": lambda u: u * np.log(u),
    "reverse_kl": lambda u: -np.log(u),
    "js": lambda u: -(u + 1) * np.log((1 + u) / 2) + u * np.log(u),
    "gan": lambda u: u * np.log(u) - (u + 1) * np.log(u + 1),
    "pearson": lambda u: (u - 1) ** 2,
    "neyman": lambda u: (1 - u) ** 2 / u,
    "squared_hellinger": lambda u: (np.sqrt(u) - 1) ** 2,
    "total_variation": lambda u: 0.5 * np.abs(u - 1),
}


def ref_fgan(div, g_form):
    g, fstar = NP_FGAN[div]

    def d(dr, df, xr, xf):
        return -(np.mean(g(dr)) - np.mean(fstar(g(df))))

    def gl(dr, df, xr, xf):
        return -np.mean(fstar(g(df))) if g_form == "saddle" else -np.mean(g(df))

    return d, gl


# (name, params, D kind, numpy reference)
CASES = [(f"f_gan-{dv}-{gf}", "f_gan", {"divergence": dv, "g_form": gf}, "scalar", ref_fgan(dv, gf))
         for dv in DIVERGENCES for gf in ("saddle", "heuristic")]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)


def numpy_f_prime_at_one(div: str) -> float:
    h = 1e-6
    return (NP_F[div](1 + h) - NP_F[div](1 - h)) / (2 * h)


@pytest.mark.parametrize("div", [d for d in DIVERGENCES if d != "total_variation"])
def test_fgan_optimal_critic_at_p_equals_q_is_f_prime_one(div):
    """At p = q the D loss depends on a constant output v only; its minimiser v* has g_f(v*) = f′(1)."""
    obj = FGAN(divergence=div)

    def loss(v: float) -> float:
        t = torch.full((4, 1), v, dtype=F64)
        return obj.d_loss(Batch(lambda x: x, t, t.clone())).item()

    res = optimize.minimize_scalar(loss, bounds=(-8, 8), method="bounded", options={"xatol": 1e-10})
    g_star = obj.activation(torch.tensor(res.x, dtype=F64)).item()
    assert_allclose(g_star, numpy_f_prime_at_one(div), atol=1e-5)


def test_fgan_total_variation_is_flat_at_p_equals_q():
    """TV's f is not differentiable at 1: every critic is optimal at p = q (the loss is 0)."""
    obj = FGAN(divergence="total_variation")
    for v in (-3.0, 0.0, 0.4, 5.0):
        t = torch.full((3, 1), v, dtype=F64)
        assert abs(obj.d_loss(Batch(lambda x: x, t, t.clone())).item()) < 1e-15


@pytest.mark.parametrize("div", DIVERGENCES)
def test_fgan_conjugate_is_the_fenchel_conjugate_of_f(div):
    """f*(g_f(v)) from the library against sup_u (t u − f(u)) maximised numerically over u > 0."""
    obj = FGAN(divergence=div)
    for v in (-1.3, -0.2, 0.5, 1.7):
        t = obj.activation(torch.tensor(v, dtype=F64)).item()
        res = optimize.minimize_scalar(
            lambda u, t=t: -(t * u - NP_F[div](u)), bounds=(1e-9, 60), method="bounded", options={"xatol": 1e-12}
        )
        assert_allclose(obj.conjugate(torch.tensor(v, dtype=F64)).item(), -res.fun, rtol=1e-6, atol=1e-6)


def test_fgan_gan_divergence_is_minimax_and_non_saturating():
    w, xf, mk = scalar_batch()
    pairs = {"saddle": "minimax", "heuristic": "non_saturating"}
    for form, classic in pairs.items():
        f = FGAN(divergence="gan", g_form=form)
        c = make_game(classic).objective
        torch.testing.assert_close(f.d_loss(mk()), c.d_loss(mk()))
        torch.testing.assert_close(f.g_loss(mk()), c.g_loss(mk()))


def test_fgan_rejects_unknown_divergence_with_the_valid_names():
    with pytest.raises(ValueError, match="squared_hellinger"):
        FGAN(divergence="hellinger")
    with pytest.raises(GanlabError) as err:
        make_game("f_gan", {"divergence": "hellinger"})
    assert "\n" not in str(err.value) and "reverse_kl" in str(err.value)
