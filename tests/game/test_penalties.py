"""Penalties against closed forms on linear and quadratic critics, numpy references and gradcheck:
R1, R2, GP, WGAN-div, L2, LP, CT and the orthonormal-tangent penalty of G."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from ganlab.game import PENALTIES, Batch
from ganlab.game.factory import make_game
from tests.helpers import F64, XF, XR, Quadratic


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



def seeded_alpha(seed: int, n: int, dims: int = 2) -> np.ndarray:
    """The α ~ U[0, 1] that ``interpolates`` draws right after ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    return torch.rand((n,) + (1,) * (dims - 1), dtype=F64).numpy()


# ---------------------------------------------------------------- lp
@pytest.mark.parametrize("scale", [0.3, 2.5])
def test_lp_of_linear_critic_is_one_sided(scale):
    """D(x) = w·x: ∇D = w everywhere, LP = λ max(0, ‖w‖ − 1)² (0 below the bound, unlike GP)."""
    w = torch.tensor([[scale], [0.5 * scale]], dtype=F64)
    batch = Batch(lambda x: x @ w, torch.randn(5, 2, dtype=F64), torch.randn(5, 2, dtype=F64))
    norm = np.linalg.norm(w.numpy())
    expected = 7.0 * max(0.0, norm - 1) ** 2
    assert_allclose(PENALTIES.get("lp")(lam=7.0)(batch).item(), expected, rtol=1e-10, atol=1e-14)


def test_lp_of_quadratic_critic_against_numpy():
    """D(x) = ½ xᵀAx: ∇D(x̂) = A x̂ on the interpolates drawn with the same seed."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    a = (a + a.T) * 2
    xr, xf = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    at = torch.tensor(a)
    batch = Batch(lambda x: 0.5 * ((x @ at) * x).sum(1, keepdim=True), torch.tensor(xr), torch.tensor(xf))
    torch.manual_seed(3)
    got = PENALTIES.get("lp")()(batch).item()
    alpha = seeded_alpha(3, 6)
    x_hat = xr + alpha * (xf - xr)
    norms = np.linalg.norm(x_hat @ a.T, axis=1)
    assert_allclose(got, 10 * np.mean(np.maximum(norms - 1, 0) ** 2), rtol=1e-10)


# ---------------------------------------------------------------- ct
class TwoPassD(nn.Module):
    """A deterministic stand-in for dropout: odd calls use W₁, even calls W₂."""

    def __init__(self, w1: torch.Tensor, w2: torch.Tensor) -> None:
        super().__init__()
        self.w1, self.w2, self.calls = w1, w2, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return x @ (self.w1 if self.calls % 2 else self.w2)


@pytest.mark.parametrize("margin", [0.0, 0.8])
def test_ct_closed_form_with_two_perturbed_passes(margin):
    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    xr = rng.normal(size=(7, 3))
    batch = Batch(TwoPassD(torch.tensor(w1), torch.tensor(w2)), torch.tensor(xr), torch.tensor(xr))
    got = PENALTIES.get("ct")(lam=2.0, margin=margin)(batch).item()
    dist = np.linalg.norm(xr @ w1 - xr @ w2, axis=1)
    assert_allclose(got, 2.0 * np.mean(np.maximum(dist - margin, 0)), rtol=1e-10)


def test_ct_with_dropout_matches_replayed_masks_and_vanishes_without_dropout():
    d = nn.Sequential(nn.Dropout(0.5), nn.Linear(3, 2)).double().train()
    x = torch.randn(8, 3, dtype=F64)
    torch.manual_seed(9)
    got = PENALTIES.get("ct")()(Batch(d, x, x)).item()
    torch.manual_seed(9)
    with torch.no_grad():
        d1, d2 = d(x).numpy(), d(x).numpy()
    assert got > 0
    assert_allclose(got, 2.0 * np.mean(np.linalg.norm(d1 - d2, axis=1)), rtol=1e-10)
    d.eval()  # no dropout: both passes agree, the term is 0 with a finite gradient
    loss = PENALTIES.get("ct")()(Batch(d, x, x))
    loss.backward()
    assert loss.item() < 1e-11 and all(torch.isfinite(p.grad).all() for p in d.parameters())  # ‖·‖ floor 1e-12


# ---------------------------------------------------------------- orthonormal tangents
def np_tangent_penalty(jacobians: np.ndarray, gamma: float) -> float:
    """E_i ‖J_iᵀJ_i − γI‖²_F for per-sample Jacobians of shape (B, out, k)."""
    k = jacobians.shape[2]
    gram = np.einsum("boi,boj->bij", jacobians, jacobians)
    return float(np.mean(((gram - gamma * np.eye(k)) ** 2).sum(axis=(1, 2))))


@pytest.mark.parametrize("gamma", [1.0, 0.5])
def test_orthonormal_tangent_exact_linear_and_tanh_generators(gamma):
    rng = np.random.default_rng(2)
    w = rng.normal(size=(5, 3)) * 0.8  # G: R³ → R⁵
    z = rng.normal(size=(4, 3))
    wt = torch.tensor(w)
    pen = PENALTIES.get("orthonormal_tangent")(weight=1.5, gamma=gamma, mode="exact")
    # linear G(z) = Wz: J = W for every sample
    got = pen(Batch(None, torch.zeros(1), torch.zeros(1), G=lambda v: v @ wt.T, z=torch.tensor(z))).item()
    assert_allclose(got, 1.5 * np_tangent_penalty(np.broadcast_to(w, (4, 5, 3)), gamma), rtol=1e-10)
    # G(z) = tanh(Wz): J_i = diag(1 − tanh²(W z_i)) W
    jac = (1 - np.tanh(z @ w.T) ** 2)[:, :, None] * w[None]
    got = pen(Batch(None, torch.zeros(1), torch.zeros(1), G=lambda v: torch.tanh(v @ wt.T), z=torch.tensor(z))).item()
    assert_allclose(got, 1.5 * np_tangent_penalty(jac, gamma), rtol=1e-10)


def test_orthonormal_tangent_estimate_is_unbiased():
    """The Rademacher estimate E_v‖(JᵀJ − I)v‖² averages to the exact ‖JᵀJ − I‖²_F."""
    rng = np.random.default_rng(3)
    w = torch.tensor(rng.normal(size=(4, 3)))
    z = torch.tensor(rng.normal(size=(64, 3)))
    batch = Batch(None, torch.zeros(1), torch.zeros(1), G=lambda v: torch.tanh(v @ w.T), z=z)
    exact = PENALTIES.get("orthonormal_tangent")(mode="exact")(batch).item()
    torch.manual_seed(0)
    est = PENALTIES.get("orthonormal_tangent")(mode="estimate", probes=100)(batch).item()
    assert_allclose(est, exact, rtol=0.05)
    # "auto" picks the exact computation below the threshold and the estimate above it
    torch.manual_seed(1)
    auto_small = PENALTIES.get("orthonormal_tangent")(threshold=3)(batch).item()
    torch.manual_seed(1)
    auto_big = PENALTIES.get("orthonormal_tangent")(threshold=2)(batch).item()
    assert_allclose(auto_small, exact, rtol=1e-12)
    assert abs(auto_big - exact) > 1e-9


def test_orthonormal_tangent_of_an_isometry_is_zero_and_belongs_to_g():
    q, _ = torch.linalg.qr(torch.randn(6, 3, dtype=F64))  # orthonormal columns: JᵀJ = I
    batch = Batch(None, torch.zeros(1), torch.zeros(1), G=lambda v: v @ q.T, z=torch.randn(5, 3, dtype=F64))
    pen = PENALTIES.get("orthonormal_tangent")()
    assert pen.player == "G"
    assert abs(pen(batch).item()) < 1e-20
    game = make_game("non_saturating", penalties=[{"name": "orthonormal_tangent", "weight": 0.1}])
    assert [p.name for p in game.penalties if p.player == "G"] == ["orthonormal_tangent"]


def test_orthonormal_tangent_needs_g_and_z():
    with pytest.raises(ValueError, match="batch.G and batch.z"):
        PENALTIES.get("orthonormal_tangent")()(Batch(None, torch.zeros(1), torch.zeros(1)))


# ---------------------------------------------------------------- gradcheck (double precision, small nets)
def _mlp_d(w1: torch.Tensor, w2: torch.Tensor, dropout: float = 0.0):
    def d(x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(x @ w1)
        if dropout:
            h = nn.functional.dropout(h, dropout, training=True)
        return h @ w2

    return d


def _params(seed: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    w1 = torch.tensor(rng.normal(size=(3, 4)) * scale, requires_grad=True)
    w2 = torch.tensor(rng.normal(size=(4, 1)) * scale, requires_grad=True)
    return w1, w2


@pytest.mark.parametrize("name, params, dropout", [("lp", {}, 0.0), ("ct", {"margin": 0.1}, 0.3)])
def test_d_penalties_pass_gradcheck(name, params, dropout):
    w1, w2 = _params(4, scale=1.5)  # steep enough that LP is active
    rng = np.random.default_rng(5)
    xr, xf = torch.tensor(rng.normal(size=(5, 3))), torch.tensor(rng.normal(size=(5, 3)))
    pen = PENALTIES.get(name)(**params)

    def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        torch.manual_seed(0)  # the same interpolates / dropout masks on every evaluation
        return pen(Batch(_mlp_d(a, b, dropout), xr, xf))

    assert fn(w1, w2).item() > 0
    assert torch.autograd.gradcheck(fn, (w1, w2), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["exact", "estimate"])
def test_orthonormal_tangent_passes_gradcheck(mode):
    rng = np.random.default_rng(6)
    w = torch.tensor(rng.normal(size=(3, 4)) * 0.7, requires_grad=True)  # G: R³ → R⁴
    z = torch.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    pen = PENALTIES.get("orthonormal_tangent")(mode=mode, probes=2)

    def fn(weight: torch.Tensor, latent: torch.Tensor) -> torch.Tensor:
        torch.manual_seed(0)
        return pen(Batch(None, torch.zeros(1), torch.zeros(1), G=lambda v: torch.tanh(v @ weight), z=latent))

    assert torch.autograd.gradcheck(fn, (w, z), eps=1e-6, atol=1e-6)
