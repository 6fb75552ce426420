"""The objective zoo against independent numpy computations, plus the papers' meaning checks.

Every objective's two losses are recomputed in numpy (float64) from the textbook formulas
(not the closed forms the library uses for numerics), and the autograd gradients of both
players are compared with central finite differences of that numpy reference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy import optimize

from ganlab.errors import GanlabError
from ganlab.game import OBJECTIVES, Batch
from ganlab.game.factory import make_game
from ganlab.game.objectives.fgan import DIVERGENCES, FGAN
from ganlab.game.objectives.sphere import inverse_stereographic, north_pole_distance

B, P, N_VEC = 6, 3, 4  # batch, data dimension, size of D's vector output
F64 = torch.float64


# ---------------------------------------------------------------- numpy references
def np_sig(v):
    return 1 / (1 + np.exp(-v))


def np_sp(v):  # softplus
    return np.logaddexp(0.0, v)


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


def ref_loss_sensitive(lam=1.0, margin=1.0, real_weight=0.0, nu=0.0):
    def d(dr, df, xr, xf):
        a = margin * np.abs(xr - xf).mean(axis=1) + dr[:, 0] - df[:, 0]
        cost = np.where(a >= 0, a, nu * a)
        return lam * cost.mean() + real_weight * dr.mean()

    return d, lambda dr, df, xr, xf: df.mean()


def ref_sphere(moments=3, divisor=1.0):
    def msum(f):
        s = (f**2).sum(axis=1)
        last = (s - 1) / (s + 1)  # p_{n+1} of Π⁻¹(f), N·p
        dist = np.arccos(last)
        return sum(np.mean(dist**r) / divisor**r for r in range(1, moments + 1))

    return (lambda dr, df, xr, xf: -msum(dr) + msum(df), lambda dr, df, xr, xf: -msum(df))


def ref_gan_qp(lam=10.0, distance="l1", eps=1e-6):
    def d(dr, df, xr, xf):
        if distance == "l1":
            dist = np.abs(xr - xf).mean(axis=1) + eps
        else:
            dist = np.sqrt(((xr - xf) ** 2).mean(axis=1) + eps**2)
        t = dr[:, 0] - df[:, 0]
        return np.mean(-t + t**2 / (2 * lam * dist))

    return d, lambda dr, df, xr, xf: np.mean(dr[:, 0] - df[:, 0])


def ref_ebgan(margin=1.0):
    def energy(rec, x):
        return ((rec - x) ** 2).mean(axis=1)

    return (
        lambda dr, df, xr, xf: energy(dr, xr).mean() + np.maximum(margin - energy(df, xf), 0).mean(),
        lambda dr, df, xr, xf: energy(df, xf).mean(),
    )


def np_mmd2(a, b, sigmas, unbiased):
    def k(x, y):
        return sum(np.exp(-np.sum((x - y) ** 2) / (2 * s * s)) for s in sigmas)

    m, n = len(a), len(b)
    if unbiased:
        krr = sum(k(a[i], a[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        kff = sum(k(b[i], b[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    else:
        krr = sum(k(a[i], a[j]) for i in range(m) for j in range(m)) / m**2
        kff = sum(k(b[i], b[j]) for i in range(n) for j in range(n)) / n**2
    krf = sum(k(a[i], b[j]) for i in range(m) for j in range(n)) / (m * n)
    return krr - 2 * krf + kff


def ref_mmd(sigmas=(1.0, 2.0, 4.0, 8.0, 16.0), estimator="biased"):
    ub = estimator == "unbiased"
    return (lambda dr, df, xr, xf: -np_mmd2(dr, df, sigmas, ub), lambda dr, df, xr, xf: np_mmd2(dr, df, sigmas, ub))


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
CASES = (
    [(f"f_gan-{dv}-{gf}", "f_gan", {"divergence": dv, "g_form": gf}, "scalar", ref_fgan(dv, gf))
     for dv in DIVERGENCES for gf in ("saddle", "heuristic")]
    + [(k, k, {}, "scalar", ref_relativistic(k)) for k in ("rsgan", "rasgan", "ralsgan", "rahinge")]
    + [
        ("loss_sensitive", "loss_sensitive", {}, "scalar", ref_loss_sensitive()),
        ("loss_sensitive-paper", "loss_sensitive", {"lam": 0.5, "margin": 2.0, "real_weight": 1.0}, "scalar",
         ref_loss_sensitive(0.5, 2.0, 1.0)),
        ("gls", "gls", {}, "scalar", ref_loss_sensitive(nu=0.5)),
        ("gls-neg", "gls", {"nu": -1.0, "lam": 2.0, "margin": 0.3}, "scalar", ref_loss_sensitive(2.0, 0.3, nu=-1.0)),
        ("sphere", "sphere", {}, "vector", ref_sphere()),
        ("sphere-r1-pi", "sphere", {"moments": 1, "divisor": "pi"}, "vector", ref_sphere(1, math.pi)),
        ("sphere-r5-3pi", "sphere", {"moments": 5, "divisor": "3pi"}, "vector", ref_sphere(5, 3 * math.pi)),
        ("gan_qp", "gan_qp", {}, "scalar", ref_gan_qp()),
        ("gan_qp-l2", "gan_qp", {"distance": "l2", "lam": 3.0}, "scalar", ref_gan_qp(3.0, "l2")),
        ("ebgan", "ebgan", {}, "energy", ref_ebgan()),
        ("ebgan-m", "ebgan", {"margin": 0.05}, "energy", ref_ebgan(0.05)),
        ("mmd", "mmd", {}, "vector", ref_mmd()),
        ("mmd-unbiased", "mmd", {"sigmas": (0.5, 3.0), "estimator": "unbiased"}, "vector",
         ref_mmd((0.5, 3.0), "unbiased")),
        ("cramer-nogp", "cramer", {"gp_weight": 0.0}, "vector", ref_cramer_no_gp()),
    ]
)


# ---------------------------------------------------------------- test discriminators
def make_d(kind: str, w: torch.Tensor):
    """D as a function of its weights ``w`` (so the numpy side can use the same weights)."""
    if kind == "energy":  # autoencoder-like: reconstruction of the input's shape
        return lambda x: torch.tanh(x @ w)
    return lambda x: x @ w  # scalar (B, 1) or vector (B, N_VEC)


def np_d(kind: str, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.tanh(x @ w) if kind == "energy" else x @ w


def weight_shape(kind: str) -> tuple[int, int]:
    return {"scalar": (P, 1), "vector": (P, N_VEC), "energy": (P, P)}[kind]


def data(seed: int = 0):
    rng = np.random.default_rng(seed)
    xr = rng.normal(size=(B, P))
    xf = rng.normal(size=(B, P)) + 0.3
    return xr, xf


def num_grad(fn, arr: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar numpy function of ``arr``."""
    g = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        a1, a2 = arr.copy(), arr.copy()
        a1[idx] += h
        a2[idx] -= h
        g[idx] = (fn(a1) - fn(a2)) / (2 * h)
    return g


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_losses_and_gradients_against_numpy(case):
    _, name, params, kind, (ref_d, ref_g) = case
    obj = make_game(name, params).objective
    rng = np.random.default_rng(1)
    w_np = rng.normal(size=weight_shape(kind)) * (0.7 if kind != "energy" else 0.5)
    xr_np, xf_np = data()
    w = torch.tensor(w_np, dtype=F64, requires_grad=True)
    xf = torch.tensor(xf_np, dtype=F64, requires_grad=True)
    batch = Batch(make_d(kind, w), torch.tensor(xr_np, dtype=F64), xf)

    def ref(fn, w_, xf_):
        return fn(np_d(kind, w_, xr_np), np_d(kind, w_, xf_), xr_np, xf_)

    # player D: the value and its gradient in D's weights
    d_loss = obj.d_loss(batch)
    (gw,) = torch.autograd.grad(d_loss, w)
    assert_allclose(d_loss.item(), ref(ref_d, w_np, xf_np), rtol=1e-9, atol=1e-12)
    assert_allclose(gw.numpy(), num_grad(lambda a: ref(ref_d, a, xf_np), w_np), rtol=1e-5, atol=1e-7)
    # player G: the value and its gradient in the fake samples (G's output)
    g_loss = obj.g_loss(Batch(make_d(kind, w), torch.tensor(xr_np, dtype=F64), xf))
    (gx,) = torch.autograd.grad(g_loss, xf)
    assert_allclose(g_loss.item(), ref(ref_g, w_np, xf_np), rtol=1e-9, atol=1e-12)
    assert_allclose(gx.numpy(), num_grad(lambda a: ref(ref_g, w_np, a), xf_np), rtol=1e-5, atol=1e-7)


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


# ---------------------------------------------------------------- meaning checks
def scalar_batch(seed=0, scale=2.0):
    rng = np.random.default_rng(seed)
    w = torch.tensor(rng.normal(size=(P, 1)) * scale, requires_grad=True)
    xr, xf = data(seed)
    xf_t = torch.tensor(xf, requires_grad=True)
    return w, xf_t, (lambda sign=1.0: Batch(lambda x: sign * (x @ w), torch.tensor(xr), xf_t))


def grads(loss, wrt):
    return [g.clone() for g in torch.autograd.grad(loss, wrt)]


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


# ---------------------------------------------------------------- every registered objective
def _grid_d(kind: str, a: torch.Tensor, b: torch.Tensor):
    """D(x) = a + b·x₀ (broadcast to D's output shape): exact outputs a on x₀ = 0, a + b on x₀ = 1."""
    if kind == "vector":
        return lambda x: (a + b * x[:, :1]).expand(-1, N_VEC)
    if kind == "energy":
        return lambda x: (a + b * x[:, :1]).expand_as(x)
    return lambda x: a + b * x[:, :1]


def kind_of(cls) -> str:
    return {"vector": "vector", "energy": "energy"}.get(cls.output, "scalar")


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
