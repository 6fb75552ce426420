"""GAN-QP against numpy, and finite where a fake equals its real partner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.game import Batch
from ganlab.game.factory import make_game
from tests.helpers import F64, check_against_numpy


def ref_gan_qp(lam=10.0, distance="l1", eps=1e-6):
    def d(dr, df, xr, xf):
        if distance == "l1":
            dist = np.abs(xr - xf).mean(axis=1) + eps
        else:
            dist = np.sqrt(((xr - xf) ** 2).mean(axis=1) + eps**2)
        t = dr[:, 0] - df[:, 0]
        return np.mean(-t + t**2 / (2 * lam * dist))

    return d, lambda dr, df, xr, xf: np.mean(dr[:, 0] - df[:, 0])


# (name, params, D kind, numpy reference)
CASES = [
    ("gan_qp", "gan_qp", {}, "scalar", ref_gan_qp()),
    ("gan_qp-l2", "gan_qp", {"distance": "l2", "lam": 3.0}, "scalar", ref_gan_qp(3.0, "l2")),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)


def test_gan_qp_finite_where_fake_equals_real():
    """The Dirac GAN equilibrium: x_f = x_r and T_r = T_f, the quadratic term is 0/ε."""
    x = torch.zeros(3, 2, dtype=F64, requires_grad=True)
    phi = torch.tensor([[0.5], [-1.0]], dtype=F64, requires_grad=True)
    for distance in ("l1", "l2"):
        obj = make_game("gan_qp", {"distance": distance}).objective
        batch = Batch(lambda v: v @ phi, x.detach(), x)
        loss = obj.d_loss(batch) + obj.g_loss(batch)
        gx, gphi = torch.autograd.grad(loss, [x, phi])
        assert loss.item() == 0 and torch.isfinite(gx).all() and torch.isfinite(gphi).all()
