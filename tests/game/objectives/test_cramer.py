"""Cramér GAN against numpy, with its own gradient penalty on the critic in closed form and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from ganlab.game import Batch
from ganlab.game.factory import make_game
from tests.helpers import F64, N_VEC, B, P, check_against_numpy, data, make_d


def ref_cramer_no_gp():
    def split(dr, df):
        m = len(df) // 2
        return dr[:m], df[:m], df[m : 2 * m]

    def d(dr, df, xr, xf):
        hr, hg, hg2 = split(dr, df)
        crit = lambda h: np.linalg.norm(h - hg2, axis=1) - np.linalg.norm(h, axis=1)  # noqa: E731
        return -(crit(hr).mean() - crit(hg).mean())

    def gl(dr, df, xr, xf):
        hr, hg, hg2 = split(dr, df)
        nrm = lambda a: np.linalg.norm(a, axis=1).mean()  # noqa: E731
        return nrm(hr - hg) + nrm(hr - hg2) - nrm(hg - hg2)

    return d, gl


# (name, params, D kind, numpy reference)
CASES = [("cramer-nogp", "cramer", {"gp_weight": 0.0}, "vector", ref_cramer_no_gp())]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)


def test_cramer_gradient_penalty_against_closed_form():
    """The critic's GP with a linear feature map h(x) = xW: ∇f(x) = W (u(xW − h_g′) − u(xW)), u = a/‖a‖."""
    rng = np.random.default_rng(2)
    w_np = rng.normal(size=(P, N_VEC))
    xr_np, xf_np = data(3)
    w = torch.tensor(w_np, requires_grad=True)
    batch = Batch(make_d("vector", w), torch.tensor(xr_np), torch.tensor(xf_np))
    torch.manual_seed(5)
    loss = make_game("cramer", {"gp_weight": 10.0}).objective.d_loss(batch)
    m = B // 2
    torch.manual_seed(5)
    alpha = torch.rand((m, 1), dtype=F64).numpy()  # the draw made by interpolates()
    x_hat = xr_np[:m] + alpha * (xf_np[:m] - xr_np[:m])
    h_g2 = xf_np[m : 2 * m] @ w_np
    a, b = x_hat @ w_np - h_g2, x_hat @ w_np
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)  # noqa: E731
    grad = (unit(a) - unit(b)) @ w_np.T
    gp = 10 * np.mean((np.linalg.norm(grad, axis=1) - 1) ** 2)
    base = ref_cramer_no_gp()[0](xr_np @ w_np, xf_np @ w_np, xr_np, xf_np)
    assert_allclose(loss.item(), base + gp, rtol=1e-9)


def test_cramer_critic_gradient_penalty_passes_gradcheck():
    """Cramér's objective carries its own GP on the critic f (double backward inside L_D)."""
    rng = np.random.default_rng(7)
    w1 = torch.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    xr, xf = torch.tensor(rng.normal(size=(6, 3))), torch.tensor(rng.normal(size=(6, 3)))
    obj = make_game("cramer").objective

    def fn(a: torch.Tensor) -> torch.Tensor:
        torch.manual_seed(0)
        return obj.d_loss(Batch(lambda x: torch.tanh(x @ a), xr, xf))

    assert torch.autograd.gradcheck(fn, (w1,), eps=1e-6, atol=1e-6)
