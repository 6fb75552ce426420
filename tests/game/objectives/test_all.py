"""Properties every registered objective shares: finite on extreme outputs, no two the same game
unless aliased, validated hyperparameters, paired batches."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ganlab.errors import GanlabError
from ganlab.game import OBJECTIVES, Batch
from ganlab.game.factory import make_game
from tests.helpers import N_VEC, B, P, kind_of, logit_batch, make_d, weight_shape


@pytest.mark.parametrize("name", ["minimax", "non_saturating", "max_likelihood", "least_squares", "hinge", "wasserstein"])
def test_finite_on_extreme_logits(name):
    batch, dr, df = logit_batch([0.0, 50.0, -50.0], [0.0, -50.0, 50.0])
    obj = OBJECTIVES.get(name)()
    loss = obj.d_loss(batch) + obj.g_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(dr.grad).all() and torch.isfinite(df.grad).all()


def test_objective_hyperparameters_are_dataclass_fields():
    fields = {f.name for f in dataclasses.fields(OBJECTIVES.get("least_squares"))}
    assert fields == {"a", "b", "c"}
    game = make_game("least_squares", {"a": -1, "b": 1, "c": 0})
    assert game.objective.a == -1.0


def _grid_d(kind: str, a: torch.Tensor, b: torch.Tensor):
    """D(x) = a + b·x₀ (broadcast to D's output shape): exact outputs a on x₀ = 0, a + b on x₀ = 1."""
    if kind == "vector":
        return lambda x: (a + b * x[:, :1]).expand(-1, N_VEC)
    if kind == "energy":
        return lambda x: (a + b * x[:, :1]).expand_as(x)
    return lambda x: a + b * x[:, :1]


GRID = [(r, f) for r in (0.0, 50.0, -50.0) for f in (0.0, 50.0, -50.0)]


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_every_objective_finite_on_extreme_grid(name):
    cls = OBJECTIVES.get(name)
    kind = kind_of(cls)
    obj = cls()
    x_r = torch.zeros(4, P)
    x_r[:, 1:] = torch.randn(4, P - 1)
    for same in (True, False):
        for d_r, d_f in GRID:
            if same and d_r != d_f:
                continue  # x_f = x_r forces equal outputs
            a = torch.tensor(d_r, requires_grad=True)
            b = torch.tensor(d_f - d_r, requires_grad=True)
            x_f = x_r.clone() if same else x_r + torch.tensor([1.0] + [0.5] * (P - 1))
            x_f.requires_grad_(True)
            for player in ("d_loss", "g_loss"):
                torch.manual_seed(0)
                loss = getattr(obj, player)(Batch(_grid_d(kind, a, b), x_r, x_f))
                ga, gb, gx = torch.autograd.grad(loss, [a, b, x_f], allow_unused=True)
                got = [g for g in (ga, gb, gx) if g is not None]
                assert torch.isfinite(loss), (name, player, d_r, d_f, same)
                assert all(torch.isfinite(g).all() for g in got), (name, player, d_r, d_f, same)


def _fingerprint(name: str) -> np.ndarray:
    """Gradients of both players on random inputs: (∂L_D/∂w, ∂L_G/∂x_f) for two batches."""
    cls = OBJECTIVES.get(name)
    kind = kind_of(cls)
    obj = cls()
    parts = []
    for seed in (11, 12):
        rng = np.random.default_rng(seed)
        w = torch.tensor(rng.normal(size=weight_shape(kind)) * 0.8, requires_grad=True)
        xr = torch.tensor(rng.normal(size=(B, P)))
        xf = torch.tensor(rng.normal(size=(B, P)) + 0.5, requires_grad=True)
        torch.manual_seed(seed)
        d = obj.d_loss(Batch(make_d(kind, w), xr, xf))
        (gw,) = torch.autograd.grad(d, w)
        g = obj.g_loss(Batch(make_d(kind, w), xr, xf))
        (gx,) = torch.autograd.grad(g, xf)
        parts += [gw.numpy().ravel(), gx.numpy().ravel(), [d.item(), g.item()]]
    return np.concatenate(parts)


def test_no_two_objectives_compute_the_same_game_unless_aliased():
    """Same values, or the same gradients for both players (losses equal up to constants),
    means the same game: allowed only when declared in ``aliases``."""
    names = OBJECTIVES.names()
    prints = {n: _fingerprint(n) for n in names}
    kinds = {n: kind_of(OBJECTIVES.get(n)) for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if kinds[a] != kinds[b]:
                continue
            pa, pb = prints[a], prints[b]
            same_grads = np.allclose(pa[:-2], pb[:-2], rtol=1e-9, atol=1e-12)
            declared = b in OBJECTIVES.get(a).aliases or a in OBJECTIVES.get(b).aliases
            assert not same_grads or declared, f"{a} and {b} compute the same game"


def test_zoo_hyperparameters_are_validated():
    bad = [
        ("f_gan", {"g_form": "other"}),
        ("gls", {"nu": 1.5}),
        ("sphere", {"moments": 0}),
        ("sphere", {"divisor": "two"}),
        ("gan_qp", {"distance": "l3"}),
        ("mmd", {"estimator": "x"}),
        ("cramer", {"gp_weight": -1.0}),
        ("ebgan", {"margin": -1.0}),
    ]
    for name, params in bad:
        with pytest.raises(GanlabError):
            make_game(name, params)


def test_paired_objectives_reject_unequal_batches():
    for name in ("rsgan", "gan_qp", "loss_sensitive"):
        batch = Batch(lambda x: x[:, :1], torch.randn(4, 2), torch.randn(3, 2))
        with pytest.raises(ValueError, match="pairs real i with fake i"):
            make_game(name).objective.d_loss(batch)
