"""RSGAN, RaSGAN, RaLSGAN and RaHinge against numpy; their G losses are relativistic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.game import Batch
from ganlab.game.factory import make_game
from tests.helpers import F64, B, check_against_numpy, grads, scalar_batch


def np_sig(v):
    return 1 / (1 + np.exp(-v))


def ref_relativistic(kind):
    def parts(dr, df):
        return dr - df.mean(), df - dr.mean()

    bce1 = lambda y: -np.log(np_sig(y))  # noqa: E731  BCE(y, 1)
    bce0 = lambda y: -np.log(1 - np_sig(y))  # noqa: E731  BCE(y, 0)
    if kind == "rsgan":
        return (lambda dr, df, xr, xf: np.mean(bce1(dr - df)), lambda dr, df, xr, xf: np.mean(bce1(df - dr)))
    if kind == "rasgan":
        return (
            lambda dr, df, xr, xf: 0.5 * (np.mean(bce1(parts(dr, df)[0])) + np.mean(bce0(parts(dr, df)[1]))),
            lambda dr, df, xr, xf: 0.5 * (np.mean(bce0(parts(dr, df)[0])) + np.mean(bce1(parts(dr, df)[1]))),
        )
    if kind == "ralsgan":
        return (
            lambda dr, df, xr, xf: 0.5 * (np.mean((parts(dr, df)[0] - 1) ** 2) + np.mean((parts(dr, df)[1] + 1) ** 2)),
            lambda dr, df, xr, xf: 0.5 * (np.mean((parts(dr, df)[0] + 1) ** 2) + np.mean((parts(dr, df)[1] - 1) ** 2)),
        )
    relu = lambda a: np.maximum(a, 0)  # noqa: E731
    return (
        lambda dr, df, xr, xf: 0.5 * (np.mean(relu(1 - parts(dr, df)[0])) + np.mean(relu(1 + parts(dr, df)[1]))),
        lambda dr, df, xr, xf: 0.5 * (np.mean(relu(1 + parts(dr, df)[0])) + np.mean(relu(1 - parts(dr, df)[1]))),
    )


# (name, params, D kind, numpy reference)
CASES = [(k, k, {}, "scalar", ref_relativistic(k)) for k in ("rsgan", "rasgan", "ralsgan", "rahinge")]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)


@pytest.mark.parametrize("name", ["rsgan", "rasgan", "ralsgan", "rahinge"])
def test_relativistic_generator_losses_are_relativistic(name):
    """Not the non-saturating G loss in disguise (a known bug): different values and gradients,
    and the G loss depends on the scores of the *real* samples."""
    w, xf, mk = scalar_batch()
    rel, ns = make_game(name).objective, make_game("non_saturating").objective
    assert not torch.allclose(rel.g_loss(mk()), ns.g_loss(mk()))
    assert not torch.allclose(grads(rel.g_loss(mk()), [xf])[0], grads(ns.g_loss(mk()), [xf])[0])
    dr = torch.randn(B, 1, dtype=F64, requires_grad=True)
    df = torch.randn(B, 1, dtype=F64)
    batch = Batch(lambda x: x, dr, df)
    (g_real,) = torch.autograd.grad(rel.g_loss(batch), dr)
    assert g_real.abs().sum() > 1e-3
