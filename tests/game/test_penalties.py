"""Penalties against closed forms on linear and quadratic critics, gradcheck, and the Game."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from ganlab import PENALTIES, Batch, Game, make_game
from ganlab.game.objectives.classic import NonSaturating


class Quadratic(nn.Module):
    """D(x) = ½ xᵀAx + wᵀx: ∇D(x) = Ax + w, known in closed form."""

    def __init__(self, dim=3, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        m = torch.randn(dim, dim, generator=g, dtype=torch.float64)
        self.A = nn.Parameter(m + m.T)
        self.w = nn.Parameter(torch.randn(dim, generator=g, dtype=torch.float64))

    def forward(self, x):
        return (0.5 * (x @ self.A * x).sum(1) + x @ self.w).unsqueeze(1)

    def grad_np(self, x):
        return x @ self.A.detach().numpy() + self.w.detach().numpy()


XR = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
XF = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))


def norms(D, x):
    return np.linalg.norm(D.grad_np(x.numpy()), axis=1)


def test_r1_r2_closed_form():
    D = Quadratic()
    b = Batch(D, XR, XF)
    assert_allclose(PENALTIES.get("r1")(gamma=3.0)(b).item(), 1.5 * np.mean(norms(D, XR) ** 2), rtol=1e-12)
    assert_allclose(PENALTIES.get("r2")(gamma=3.0)(b).item(), 1.5 * np.mean(norms(D, XF) ** 2), rtol=1e-12)


def test_r1_reuses_cached_d_real_when_x_real_requires_grad():
    D = Quadratic()
    calls = []
    D.register_forward_hook(lambda *a: calls.append(1))
    b = Batch(D, XR.clone().requires_grad_(True), XF)
    _ = b.d_real
    value = PENALTIES.get("r1")(gamma=2.0)(b)
    assert len(calls) == 1
    assert_allclose(value.item(), np.mean(norms(D, XR) ** 2), rtol=1e-12)


def interpolates_np(seed):
    torch.manual_seed(seed)
    alpha = torch.rand(len(XR), 1, dtype=torch.float64)
    return (XR + alpha * (XF - XR)).numpy()


@pytest.mark.parametrize("center", [1.0, 0.0])
def test_gp_closed_form(center):
    D = Quadratic()
    xh = interpolates_np(5)
    torch.manual_seed(5)
    value = PENALTIES.get("gp")(lam=10.0, center=center)(Batch(D, XR, XF)).item()
    assert_allclose(value, 10 * np.mean((norms(D, torch.from_numpy(xh)) - center) ** 2), rtol=1e-9)


def test_gp_of_linear_critic_is_exact():
    """A linear critic has ‖∇D‖ = ‖w‖ everywhere, whatever the interpolates."""
    D = nn.Linear(3, 1).double()
    w = D.weight.detach().numpy().ravel()
    value = PENALTIES.get("gp")()(Batch(D, XR, XF)).item()
    assert_allclose(value, 10 * (np.linalg.norm(w) - 1) ** 2, rtol=1e-9)


def test_wgan_div_closed_form_both_samplings():
    D = Quadratic()
    xh = interpolates_np(7)
    torch.manual_seed(7)
    value = PENALTIES.get("wgan_div")()(Batch(D, XR, XF)).item()
    assert_allclose(value, 2 * np.mean(norms(D, torch.from_numpy(xh)) ** 6), rtol=1e-9)
    value = PENALTIES.get("wgan_div")(k=2.0, p=6.0, sample="real_fake")(Batch(D, XR, XF)).item()
    assert_allclose(value, np.mean(norms(D, XR) ** 6) + np.mean(norms(D, XF) ** 6), rtol=1e-9)


def test_l2_closed_form():
    D = Quadratic()
    expected = 0.1 * sum((p.detach().numpy() ** 2).sum() for p in D.parameters())
    assert_allclose(PENALTIES.get("l2")(lam=0.1)(Batch(D, XR, XF)).item(), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "name,params",
    [("r1", {}), ("r2", {}), ("gp", {}), ("gp", {"center": 0.0}), ("wgan_div", {}), ("wgan_div", {"sample": "real_fake"}), ("l2", {})],
)
def test_penalties_pass_gradcheck(name, params):
    """Penalties are differentiated with respect to D's weights (double backward): check it."""
    pen = PENALTIES.get(name)(**params)
    D = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    names = [n for n, _ in D.named_parameters()]
    params0 = tuple(p.detach().clone().requires_grad_(True) for p in D.parameters())

    def f(*ps):
        torch.manual_seed(11)  # the same interpolates at every evaluation
        Dp = lambda x: torch.func.functional_call(D, dict(zip(names, ps)), (x,))  # noqa: E731
        if name == "l2":
            return sum((p**2).sum() for p in ps) * pen.lam  # l2 reads D.parameters(); checked in closed form above
        return pen(Batch(Dp, XR, XF))

    assert torch.autograd.gradcheck(f, params0, eps=1e-6, atol=1e-5)


def test_game_collects_named_terms_and_lazy_regularisation():
    game = make_game("non_saturating", penalties=[{"name": "r1", "gamma": 1.0, "every": 4}, "gp"])
    D = Quadratic()
    b = lambda: Batch(D, XR, XF)  # noqa: E731
    assert set(game.losses(b(), "D", step=0)) == {"loss", "r1", "gp"}
    assert set(game.losses(b(), "D", step=1)) == {"loss", "gp"}
    assert set(game.losses(b(), "G", step=0)) == {"loss"}
    lazy = game.losses(b(), "D", step=8)["r1"].item()
    eager = PENALTIES.get("r1")(gamma=1.0)(b()).item()
    assert_allclose(lazy, 4 * eager, rtol=1e-12)  # gain k keeps the average weight


def test_game_total_is_sum_of_terms():
    game = Game(NonSaturating(), [PENALTIES.get("r2")()])
    D = Quadratic()
    torch.manual_seed(0)
    terms = game.losses(Batch(D, XR, XF), "D")
    assert_allclose(game.total(Batch(D, XR, XF), "D").item(), sum(t.item() for t in terms.values()), rtol=1e-12)


def test_clip_constraint_projects_d_weights():
    game = make_game("wasserstein", constraints=[{"name": "clip", "c": 0.05}])
    D = nn.Linear(4, 1)
    G = nn.Linear(2, 4)
    with torch.no_grad():
        D.weight.fill_(3.0)
        G.weight.fill_(3.0)
    game.apply_constraints({"D": D, "G": G})
    assert D.weight.abs().max().item() == pytest.approx(0.05)
    assert G.weight.max().item() == 3.0  # only D is clipped
