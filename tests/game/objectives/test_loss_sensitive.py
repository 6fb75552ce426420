"""LS-GAN and GLS-GAN against numpy; GLS-GAN's ν = 0 is LS-GAN and ν = 1 is λ · WGAN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.game.factory import make_game
from tests.helpers import check_against_numpy, grads, scalar_batch


def ref_loss_sensitive(lam=1.0, margin=1.0, real_weight=0.0, nu=0.0):
    def d(dr, df, xr, xf):
        a = margin * np.abs(xr - xf).mean(axis=1) + dr[:, 0] - df[:, 0]
        cost = np.where(a >= 0, a, nu * a)
        return lam * cost.mean() + real_weight * dr.mean()

    return d, lambda dr, df, xr, xf: df.mean()


# (name, params, D kind, numpy reference)
CASES = [
    ("loss_sensitive", "loss_sensitive", {}, "scalar", ref_loss_sensitive()),
    ("loss_sensitive-paper", "loss_sensitive", {"lam": 0.5, "margin": 2.0, "real_weight": 1.0}, "scalar",
     ref_loss_sensitive(0.5, 2.0, 1.0)),
    ("gls", "gls", {}, "scalar", ref_loss_sensitive(nu=0.5)),
    ("gls-neg", "gls", {"nu": -1.0, "lam": 2.0, "margin": 0.3}, "scalar", ref_loss_sensitive(2.0, 0.3, nu=-1.0)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)


@pytest.mark.parametrize("params", [{}, {"lam": 0.3, "margin": 2.0}, {"real_weight": 1.0, "margin": 0.0}])
def test_gls_with_nu_zero_is_ls_gan(params):
    w, xf, mk = scalar_batch(scale=0.3)
    ls = make_game("loss_sensitive", params).objective
    gls = make_game("gls", {**params, "nu": 0.0}).objective
    for player in ("d_loss", "g_loss"):
        a, b = getattr(ls, player)(mk()), getattr(gls, player)(mk())
        torch.testing.assert_close(a, b)
        for ga, gb in zip(grads(getattr(ls, player)(mk()), [w, xf]), grads(getattr(gls, player)(mk()), [w, xf])):
            torch.testing.assert_close(ga, gb)


@pytest.mark.parametrize("lam", [1.0, 0.25, 3.0])
def test_gls_with_nu_one_is_lambda_times_wgan(lam):
    """ν = 1, E L(x) weight 0: ∇_D L_D = λ ∇_D L_D^WGAN with critic d = −L; the G losses are equal."""
    w, xf, mk = scalar_batch(scale=2.0)  # large scores: many pairs with a negative slack
    gls = make_game("gls", {"nu": 1.0, "lam": lam, "margin": 0.7, "real_weight": 0.0}).objective
    wgan = make_game("wasserstein").objective
    (g_gls,) = grads(gls.d_loss(mk()), [w])
    (g_w,) = grads(wgan.d_loss(mk(-1.0)), [w])
    torch.testing.assert_close(g_gls, lam * g_w)
    (gx_gls,) = grads(gls.g_loss(mk()), [xf])
    (gx_w,) = grads(wgan.g_loss(mk(-1.0)), [xf])
    torch.testing.assert_close(gx_gls, gx_w)
    # and not the same as LS-GAN's (ν = 0), where the hinge cuts the negative slacks
    (g_ls,) = grads(make_game("gls", {"nu": 0.0, "lam": lam, "margin": 0.7}).objective.d_loss(mk()), [w])
    assert not torch.allclose(g_ls, g_gls)
