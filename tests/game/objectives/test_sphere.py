"""Sphere GAN against numpy; the inverse stereographic projection and its gradients at the extremes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlab.game import Batch
from ganlab.game.factory import make_game
from ganlab.game.objectives.sphere import inverse_stereographic, north_pole_distance
from tests.helpers import F64, check_against_numpy


def ref_sphere(moments=3, divisor=1.0):
    def msum(f):
        s = (f**2).sum(axis=1)
        last = (s - 1) / (s + 1)  # p_{n+1} of Π⁻¹(f), N·p
        dist = np.arccos(last)
        return sum(np.mean(dist**r) / divisor**r for r in range(1, moments + 1))

    return (lambda dr, df, xr, xf: -msum(dr) + msum(df), lambda dr, df, xr, xf: -msum(df))


# (name, params, D kind, numpy reference)
CASES = [
    ("sphere", "sphere", {}, "vector", ref_sphere()),
    # the official code: weight mode "half" divides moment r by π^r, "normalization" by ((1/decay_ratio)·π)^r, decay_ratio 3
    ("sphere-r1-half", "sphere", {"moments": 1, "divisor": "half"}, "vector", ref_sphere(1, math.pi)),
    ("sphere-r5-normalization", "sphere", {"moments": 5, "divisor": "normalization"}, "vector", ref_sphere(5, (1 / 3) * math.pi)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    check_against_numpy(case)


def test_inverse_stereographic_points_lie_on_the_sphere():
    for dtype, tol in ((torch.float32, 1e-6), (torch.float64, 1e-14)):
        f = torch.randn(50, 7, dtype=dtype)
        scales = torch.logspace(-30, 30, 50, dtype=torch.float64).to(dtype)[:, None]
        f = torch.cat([f * scales, torch.zeros(1, 7, dtype=dtype)])
        p = inverse_stereographic(f)
        assert p.shape == (51, 8)
        torch.testing.assert_close(p.norm(dim=1), torch.ones(51, dtype=dtype), atol=tol, rtol=0)
    # the north pole is the image of infinity, the south pole that of 0
    torch.testing.assert_close(inverse_stereographic(torch.zeros(1, 3))[0], torch.tensor([0.0, 0, 0, -1]))


def test_inverse_stereographic_matches_the_formula_and_distance_matches_arccos():
    f = torch.randn(20, 5, dtype=F64) * 2
    s = (f**2).sum(1, keepdim=True)
    expected = torch.cat([2 * f / (s + 1), (s - 1) / (s + 1)], 1)
    torch.testing.assert_close(inverse_stereographic(f), expected)
    torch.testing.assert_close(north_pole_distance(f), torch.arccos(expected[:, -1]))


@pytest.mark.parametrize("scale", [0.0, 1e-20, 1.0, 1e6, 1e18])
def test_sphere_gradients_finite_at_zero_and_huge_outputs(scale):
    sphere = make_game("sphere", {"moments": 3}).objective
    for dtype in (torch.float32, torch.float64):
        dr = (torch.randn(4, 6, dtype=dtype) * scale).requires_grad_(True)
        df = (torch.randn(4, 6, dtype=dtype) * scale).requires_grad_(True)
        batch = Batch(lambda x: x, dr, df)
        loss = sphere.d_loss(batch) + sphere.g_loss(batch)
        gr, gf = torch.autograd.grad(loss, [dr, df])
        assert torch.isfinite(loss) and torch.isfinite(gr).all() and torch.isfinite(gf).all()
        p = inverse_stereographic(dr)
        assert torch.isfinite(p).all()
        (gp,) = torch.autograd.grad(p.sum(), dr)
        assert torch.isfinite(gp).all()
