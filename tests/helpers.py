"""Helpers shared by several test files (import as ``from tests.helpers import …``).

tests/conftest.py registers this module for pytest's assertion rewriting, so the ``assert``s
below report their operands like those written in a test.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import signal

import numpy as np
import torch
from torch import nn

from ganlab.game import Batch
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint

# ================================================================= training runs in a folder
# The settings a ring8 run would take from the mixtures' own defaults (presets.DATA_DEFAULTS) are
# pinned to the fields' defaults, which these tests were written against
PINNED = ["model.g_norm=batch", "model.init=normal", "train.lr_d=2.0e-4", "train.lr_g=2.0e-4", "train.ema=0.999"]
# ring8, tiny nets, checkpoints every 10 steps; R1 (shared d_real), GP (random interpolates) and
# n_critic 2 exercise every RNG stream, so a resumed run is exact only if all are restored
TINY_STREAMS = [
    "data.name=ring8",
    "data.n_points=512",
    "model.z_dim=2",
    "model.width=16",
    "model.depth=2",
    "train.batch_size=32",
    "train.log_every=5",
    "train.sample_every=0",
    "train.checkpoint_every=10",
    "train.progress=false",
    "game.penalties=[{name: r1, gamma: 1}, {name: gp, lam: 1}]",
    "train.n_critic=2",
    "eval.metrics=[]",  # the end-of-run evaluation is tested with the metrics; here it only costs time
    *PINNED,
]
# ring8, tiny nets, no penalty, checkpoints every 5 steps (retention, rollback, damaged files)
TINY_RUN = [
    "data.name=ring8",
    "data.n_points=512",
    "model.z_dim=2",
    "model.width=16",
    "model.depth=2",
    "train.batch_size=32",
    "train.log_every=5",
    "train.sample_every=0",
    "train.checkpoint_every=5",
    "train.progress=false",
    "eval.metrics=[]",  # the end-of-run evaluation is tested with the metrics; here it only costs time
    "game.penalties=[]",
    *PINNED,
]


def final_state(out):
    """(step, checkpoint) of a run folder's newest step checkpoint."""
    step, path = list_checkpoints(out / "checkpoints")[-1]
    return step, load_checkpoint(path)


def newest(out):
    """The newest step checkpoint of a run folder."""
    return load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1])


def assert_same_weights(a, b):
    """G, D and EMA-G of two checkpoints are equal bit for bit."""
    for key in ("G", "D"):
        assert a[key].keys() == b[key].keys()
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), f"{key}.{name} differs"
    for name in a["ema"]["model"]:
        assert torch.equal(a["ema"]["model"][name], b["ema"]["model"][name])


def without_time(records):
    """Log records without their wall-clock stamps (the only field two runs may differ in)."""
    return [{k: v for k, v in r.items() if k != "time"} for r in records]


def one_error_line(capsys):
    """What the command wrote to stderr is one ``ganlab: error: …`` line without a traceback."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganlab: error: ") and "Traceback" not in err, err
    return lines[0]


def write_fake_cifar(folder, rng: np.random.Generator, n: int = 20):
    """An extracted CIFAR-10 (``cifar-10-batches-py``): five training batches and a test batch of
    ``n`` random images each, pickled as the original files are."""
    import pickle
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"labels": rng.integers(0, 10, n).tolist(), "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8)}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return folder


def cli_refuses(capsys, argv) -> str:
    """``ganlab argv`` in-process exits 2 with one ``ganlab: error: …`` line; returns the line."""
    from ganlab.cli import main

    capsys.readouterr()
    code = main([str(a) for a in argv])
    line = one_error_line(capsys)
    assert code == 2, (argv, code, line)
    return line


@contextlib.contextmanager
def deadline(seconds: float):
    """A hang becomes a failure instead of a stuck test suite."""

    def expire(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def nan_d_loss(monkeypatch, bad_calls):
    """Make NonSaturating.d_loss NaN for the D-loss calls (1-based, one per step here) in ``bad_calls``."""
    from ganlab.game.objectives.classic import NonSaturating

    original = NonSaturating.d_loss
    calls = [0]

    def d_loss(self, batch):
        calls[0] += 1
        loss = original(self, batch)
        return loss * float("nan") if calls[0] in bad_calls else loss

    monkeypatch.setattr(NonSaturating, "d_loss", d_loss)


# ================================================================= generators with known behaviour (metrics)
class MixtureSampler(nn.Module):
    """A perfect sampler of an isotropic Gaussian mixture: z₀ picks the component through
    Φ(z₀) (uniform on [0, 1)), z₁.. give the Gaussian offset. ``only`` collapses it onto one mode."""

    def __init__(self, centres, sigma: float, only: int | None = None) -> None:
        super().__init__()
        self.register_buffer("centres", torch.as_tensor(centres, dtype=torch.float32))
        self.sigma, self.only = sigma, only
        self.z_dim = 1 + self.centres.shape[1]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        k = len(self.centres)
        u = 0.5 * (1 + torch.erf(z[:, 0] / math.sqrt(2)))  # Φ(z₀)
        comp = (u * k).long().clamp_max(k - 1) if self.only is None else torch.full_like(z[:, 0], self.only).long()
        return self.centres[comp] + self.sigma * z[:, 1:]


class LinearImages(nn.Module):
    """G(z) = A z + b reshaped to (1, 8, 8), A invertible: every 8×8 image is reachable exactly."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.z_dim = 64
        q, _ = torch.linalg.qr(torch.randn(64, 64, generator=g))
        self.lin = nn.Linear(64, 64)
        with torch.no_grad():
            self.lin.weight.copy_(0.5 * q)  # well conditioned: Adam on z converges fast
            self.lin.bias.zero_()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.lin(z).view(-1, 1, 8, 8)


class MLPImages(nn.Module):
    """An untrained tanh MLP generator of 8×8 images."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.z_dim = 16
        self.net = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 64), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 1, 8, 8)


def gaussian_features(n: int, d: int, seed: int, shift: float = 0.0) -> np.ndarray:
    """n samples of a random d-dimensional Gaussian (covariance from ``seed``), shifted by ``shift`` (FID, KID)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((d, d)) / np.sqrt(d)
    return rng.standard_normal((n, d)) @ a + shift


class Linear(nn.Module):
    """G(z) = Wz + b with a given W (out, z_dim): its Jacobian is W everywhere (tangent tests)."""

    def __init__(self, W: torch.Tensor) -> None:
        super().__init__()
        self.z_dim = W.shape[1]
        self.lin = nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            self.lin.weight.copy_(W)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.lin(z)


# ================================================================= critics with closed-form gradients (penalties, game)
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


# a real and a fake batch for Quadratic, drawn from their own generators
XR = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
XF = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))


# ================================================================= objectives against numpy
B, P, N_VEC = 6, 3, 4  # batch, data dimension, size of D's vector output
F64 = torch.float64


def logit_batch(d_real, d_fake):
    """A Batch whose D is the identity, so x *is* D's output: losses as functions of logits."""
    dr = torch.as_tensor(d_real, dtype=torch.float64).reshape(-1, 1).clone().requires_grad_(True)
    df = torch.as_tensor(d_fake, dtype=torch.float64).reshape(-1, 1).clone().requires_grad_(True)
    return Batch(torch.nn.Identity(), dr, df), dr, df


# fixed logits of real and fake samples, for losses written as functions of D's output
RNG = np.random.default_rng(0)
DR = RNG.normal(size=7) * 3
DF = RNG.normal(size=7) * 3


def make_d(kind: str, w: torch.Tensor):
    """D as a function of its weights ``w`` (so the numpy side can use the same weights)."""
    if kind == "energy":  # autoencoder-like: reconstruction of the input's shape
        return lambda x: torch.tanh(x @ w)
    return lambda x: x @ w  # scalar (B, 1) or vector (B, N_VEC)


def np_d(kind: str, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.tanh(x @ w) if kind == "energy" else x @ w


def weight_shape(kind: str) -> tuple[int, int]:
    return {"scalar": (P, 1), "vector": (P, N_VEC), "energy": (P, P)}[kind]


def kind_of(cls) -> str:
    """The test D an objective class needs: "scalar", "vector" or "energy"."""
    return {"vector": "vector", "energy": "energy"}.get(cls.output, "scalar")


def data(seed: int = 0):
    """A real and a fake batch (B, P) as numpy arrays, the fakes shifted by 0.3."""
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


def check_against_numpy(case):
    """``case`` = (id, objective name, params, D kind, (numpy L_D, numpy L_G)): both losses equal
    the numpy reference, and their autograd gradients (D's weights, G's output) equal central
    finite differences of it."""
    from ganlab.game.factory import make_game

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
    np.testing.assert_allclose(d_loss.item(), ref(ref_d, w_np, xf_np), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gw.numpy(), num_grad(lambda a: ref(ref_d, a, xf_np), w_np), rtol=1e-5, atol=1e-7)
    # player G: the value and its gradient in the fake samples (G's output)
    g_loss = obj.g_loss(Batch(make_d(kind, w), torch.tensor(xr_np, dtype=F64), xf))
    (gx,) = torch.autograd.grad(g_loss, xf)
    np.testing.assert_allclose(g_loss.item(), ref(ref_g, w_np, xf_np), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gx.numpy(), num_grad(lambda a: ref(ref_g, w_np, a), xf_np), rtol=1e-5, atol=1e-7)


def scalar_batch(seed=0, scale=2.0):
    """Linear scalar D weights w, fakes x_f, and ``mk(sign)`` → a Batch with D(x) = sign · xw."""
    rng = np.random.default_rng(seed)
    w = torch.tensor(rng.normal(size=(P, 1)) * scale, requires_grad=True)
    xr, xf = data(seed)
    xf_t = torch.tensor(xf, requires_grad=True)
    return w, xf_t, (lambda sign=1.0: Batch(lambda x: sign * (x @ w), torch.tensor(xr), xf_t))


def grads(loss, wrt):
    return [g.clone() for g in torch.autograd.grad(loss, wrt)]


# ================================================================= experiment folders
def read_csv(path):  # noqa: ANN001, ANN201
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def experiment_outputs(folder, tables, figures=()):  # noqa: ANN001, ANN202
    """An experiment folder has its README, result.json, the tables (.md and .csv) and figures; → result.json."""
    assert (folder / "README.md").is_file()
    result = json.loads((folder / "result.json").read_text())
    assert result["quick"] is True and result["cpu_seconds"] >= 0
    readme = (folder / "README.md").read_text()
    assert "Regenerate: `ganlab experiment" in readme and "--quick" in readme
    for t in tables:
        assert (folder / f"{t}.md").is_file() and (folder / f"{t}.csv").is_file()
    for f in figures:
        assert (folder / f"{f}.png").stat().st_size > 1000
        assert f"]({f}.png)" in readme
    return result


def assert_tuned_rows_follow_validation(val, tuned, declared, chosen):  # noqa: ANN001
    """Each tuned row (by setup) is the setting ``tuning.choose`` picks from its five validation rows
    (declared first, one ✓), the one result.json's ``chosen`` names; a "declared" pick repeats the
    declared row."""
    from ganlab.experiments import tuning

    for setup, row in tuned.items():
        mine = [r for r in val if r["setup"] == setup]
        assert len(mine) == 5 and mine[0]["setting"] == "declared" and sum(r["chosen"] == "✓" for r in mine) == 1
        pick = tuning.choose([(float(r["modes_mean"]), float(r["hq_mean"])) for r in mine])
        assert mine[pick]["chosen"] == "✓" and row["setting"] == mine[pick]["setting"] == chosen[setup]["setting"]
        if row["setting"] == "declared":
            assert {k: v for k, v in row.items() if k != "setting"} == declared[setup]
