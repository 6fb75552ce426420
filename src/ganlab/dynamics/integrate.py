"""Integrators for partitioned vector fields, and the exponential moving average of a path.

Nothing here knows about GANs. A field is a callable ``field(x, part=None, step=None)`` on a
float64 tensor: the full derivative for ``part=None``, the derivative of block ``part`` only
(a slice of x, given in ``blocks``) otherwise; ``step`` is the update count, for fields that
change with it. ``project(x)`` is an optional projection applied after every discrete update
(a constraint such as clipping).

- ``ode``: the continuous flow, by scipy's adaptive Runge–Kutta or fixed-step RK4;
- ``simultaneous``: all blocks step from the same x (Jacobi, "simultaneous gradient descent");
- ``alternating``: blocks step in turn, each seeing the others' newest values (Gauss–Seidel),
  block i ``repeats[i]`` times per round (n_critic), each with its own step size (TTUR).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import torch

from ganlab.errors import GanlabError


class Field(Protocol):
    def __call__(self, x: torch.Tensor, part: int | None = None, step: int | None = None) -> torch.Tensor: ...


Projection = Callable[[torch.Tensor], torch.Tensor]


@dataclasses.dataclass
class Path:
    """A sampled trajectory: times ``t`` (N,), states ``x`` (N, n), and how it was made."""

    t: np.ndarray
    x: np.ndarray
    method: str
    evaluations: int = 0  # field evaluations spent (cost of the path)
    message: str = ""

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.x).all())


class _Counter:
    """Counts field evaluations (the cost of a path)."""

    def __init__(self, field: Field) -> None:
        self.field, self.n = field, 0

    def __call__(self, x: torch.Tensor, part: int | None = None, step: int | None = None) -> torch.Tensor:
        self.n += 1
        return self.field(x, part, step)


def _blown_up(x: torch.Tensor, limit: float) -> bool:
    return not bool(torch.isfinite(x).all()) or float(x.abs().max()) > limit


def _pad(rows: list[np.ndarray], n_total: int) -> np.ndarray:
    """Stack rows; a path stopped early is padded with NaN so every path has the same length."""
    out = np.full((n_total, rows[0].shape[0]), np.nan)
    out[: len(rows)] = np.stack(rows)
    return out


def _rk4_step(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, dt: float) -> torch.Tensor:
    k1 = f(x)
    k2 = f(x + 0.5 * dt * k1)
    k3 = f(x + 0.5 * dt * k2)
    k4 = f(x + dt * k3)
    return x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def rk4(field: Field, x0: torch.Tensor, t_out: np.ndarray, h: float, *, project: Projection | None = None,
        limit: float = 1e6, counter: _Counter | None = None) -> tuple[np.ndarray, int, str]:
    """Classical 4th-order Runge–Kutta from (t_out[0], x0), steps ≤ h, sampled at the times t_out.

    Returns (states (len(t_out), n), rows filled, message); rows after a blow-up are NaN.
    """
    f = counter or _Counter(field)
    x = x0.clone()
    rows = [x.numpy().copy()]
    for t_prev, t_next in zip(t_out[:-1], t_out[1:]):
        sub = max(1, int(np.ceil((t_next - t_prev) / h - 1e-9)))
        for _ in range(sub):
            x = _rk4_step(f, x, (t_next - t_prev) / sub)
            if project is not None:
                x = project(x)
        rows.append(x.numpy().copy())
        if _blown_up(x, limit):
            return _pad(rows, len(t_out)), len(rows), "stopped: state left ±limit or became non-finite"
    return _pad(rows, len(t_out)), len(rows), "ok"


def ode(field: Field, x0: torch.Tensor, t_end: float, n_out: int = 1001, *, method: str = "DOP853", rtol: float = 1e-7,
        atol: float = 1e-9, h: float | None = None, project: Projection | None = None, limit: float = 1e6,
        max_rate: float = 60.0) -> Path:
    """The flow ẋ = F(x) from x0 over [0, t_end], sampled at ``n_out`` equal times.

    ``method``: a scipy solver ("DOP853" default, "RK45", "RK23", "LSODA", "BDF", "Radau") or
    "rk4" (fixed step ``h``, default half the sampling interval). A projection cannot be
    applied inside an adaptive solver, so with ``project`` RK4 is used: the projected flow.

    Some fields trap an explicit adaptive solver in ever smaller steps: stiff ones (a strong
    penalty) and non-smooth ones (relu, |x|, ‖x‖ at 0, where the flow may slide along the
    kink). When a solver has spent more than ``max_rate`` evaluations per unit of time, the
    path goes on from its last sample with the implicit BDF solver, and after that with
    fixed-step RK4; ``Path.method`` and ``Path.message`` record every switch.
    """
    if t_end <= 0 or n_out < 2:
        raise GanlabError(f"an ODE path needs t_end > 0 and at least 2 samples, got t_end={t_end}, n_out={n_out}")
    t_out = np.linspace(0.0, t_end, n_out)
    h = h or float(t_out[1] - t_out[0]) / 2
    f = _Counter(field)
    if method.lower() == "rk4" or project is not None:
        x, _, msg = rk4(field, x0, t_out, h, project=project, limit=limit, counter=f)
        return Path(t_out, x, f"ode/rk4 (h={h:g})", f.n, msg)
    from scipy.integrate import BDF, DOP853, LSODA, RK23, RK45, Radau

    solvers = {"DOP853": DOP853, "RK45": RK45, "RK23": RK23, "LSODA": LSODA, "BDF": BDF, "Radau": Radau}
    if method not in solvers:
        raise GanlabError(f"unknown ODE method {method!r}", f"choose one of: {', '.join(solvers)}, rk4")
    chain = [method] + (["BDF"] if method not in ("BDF", "Radau") else [])

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        return f(torch.from_numpy(y)).numpy()

    x = np.full((n_out, x0.numel()), np.nan)
    x[0] = x0.numpy()
    filled, labels, notes = 1, [], []
    for name in chain:
        start = filled - 1
        labels.append(name + (f" from t={t_out[start]:g}" if start else ""))
        solver = solvers[name](rhs, t_out[start], x[start].copy(), t_end, rtol=rtol, atol=atol)
        n_start, stalled = f.n, False
        while solver.status == "running":
            message = solver.step()
            if solver.status == "failed":
                notes.append(f"{name} failed: {message}")
                stalled = True
                break
            dense = solver.dense_output()
            while filled < n_out and t_out[filled] <= solver.t:
                x[filled] = dense(t_out[filled])
                filled += 1
            if _blown_up(torch.from_numpy(solver.y), limit):
                notes.append("stopped: state left ±limit or became non-finite")
                return Path(t_out, x, "ode/" + "→".join(labels), f.n, "; ".join(notes))
            if f.n - n_start > max_rate * max(solver.t - t_out[start], 1.0) + 500 and filled < n_out:
                notes.append(f"{name} stalled at t={solver.t:.3g} (stiff or non-smooth field)")
                stalled = True
                break
        if not stalled:
            return Path(t_out, x, "ode/" + "→".join(labels), f.n, "; ".join(notes) or "ok")
    # every adaptive solver stalled: fixed steps to the end (chatters across a kink, but moves on)
    start = filled - 1
    rest, _, msg = rk4(field, torch.from_numpy(x[start].copy()), t_out[start:], h, limit=limit, counter=f)
    x[start:] = rest
    labels.append(f"rk4 (h={h:g}) from t={t_out[start]:g}")
    return Path(t_out, x, "ode/" + "→".join(labels), f.n, "; ".join(notes + [msg]))


def _check_blocks(blocks: Sequence[slice], lrs: Sequence[float], repeats: Sequence[int]) -> None:
    if not (len(blocks) == len(lrs) == len(repeats)):
        raise GanlabError(f"need one step size and one repeat count per block, got {len(lrs)} and {len(repeats)} for {len(blocks)}")
    if any(lr <= 0 for lr in lrs) or any(r < 1 for r in repeats):
        raise GanlabError(f"step sizes must be > 0 and repeats ≥ 1, got {list(lrs)} and {list(repeats)}")


def _block_step(x: torch.Tensor, f: _Counter, b: int, sl: slice, lr: float, counts: list[int],
                project: Projection | None) -> torch.Tensor:
    """Block b alone: x_b ← x_b + η_b F_b(x) (then the projection)."""
    x = x.clone()
    x[sl] = x[sl] + lr * f(x, b, counts[b])
    counts[b] += 1
    return project(x) if project is not None else x


def _discrete(kind: str, one_round: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, steps: int, f: _Counter,
              limit: float) -> Path:
    """Rounds of a discrete scheme from x0, sampled after each; stops when the state blows up."""
    x, rows, msg = x0.clone(), [x0.numpy().copy()], "ok"
    for _ in range(steps):
        x = one_round(x)
        rows.append(x.numpy().copy())
        if _blown_up(x, limit):
            msg = "stopped: state left ±limit or became non-finite"
            break
    return Path(np.arange(steps + 1, dtype=np.float64), _pad(rows, steps + 1), kind, f.n, msg)


def simultaneous(field: Field, x0: torch.Tensor, blocks: Sequence[slice], lrs: Sequence[float], steps: int, *,
                 repeats: Sequence[int] | None = None, project: Projection | None = None, limit: float = 1e6) -> Path:
    """x ← x + η_b F_b(x) for every block b from the same x.

    With ``repeats[b] > 1`` block b first takes ``repeats[b] − 1`` steps alone (the others held),
    then the last one together with everybody (n_critic with simultaneous updates). The path
    is sampled after each round: ``steps + 1`` rows, t = round index.
    """
    repeats = list(repeats or [1] * len(blocks))
    _check_blocks(blocks, lrs, repeats)
    f = _Counter(field)
    counts = [0] * len(blocks)

    def one_round(x: torch.Tensor) -> torch.Tensor:
        for extra in range(max(repeats) - 1):  # the lone extra steps of blocks that repeat
            for b, (sl, lr) in enumerate(zip(blocks, lrs)):
                if extra < repeats[b] - 1:
                    x = _block_step(x, f, b, sl, lr, counts, project)
        full = [f(x, b, counts[b]) for b in range(len(blocks))]
        x = x.clone()
        for b, (sl, lr) in enumerate(zip(blocks, lrs)):
            x[sl] = x[sl] + lr * full[b]
            counts[b] += 1
        return project(x) if project is not None else x

    return _discrete("simultaneous", one_round, x0, steps, f, limit)


def alternating(field: Field, x0: torch.Tensor, blocks: Sequence[slice], lrs: Sequence[float], steps: int, *,
                repeats: Sequence[int] | None = None, project: Projection | None = None, limit: float = 1e6) -> Path:
    """Blocks update in order, block b ``repeats[b]`` times per round, each seeing the newest x."""
    repeats = list(repeats or [1] * len(blocks))
    _check_blocks(blocks, lrs, repeats)
    f = _Counter(field)
    counts = [0] * len(blocks)

    def one_round(x: torch.Tensor) -> torch.Tensor:
        for b, (sl, lr) in enumerate(zip(blocks, lrs)):
            for _ in range(repeats[b]):
                x = _block_step(x, f, b, sl, lr, counts, project)
        return x

    return _discrete("alternating", one_round, x0, steps, f, limit)


def ema(x: np.ndarray, decay: float, *, warmup: bool = True) -> np.ndarray:
    """Exponential moving average of the rows of x (N, d): e_t = β_t e_{t−1} + (1 − β_t) x_t.

    ``warmup``: β_t = min(β, (1 + t)/(10 + t)), the trainer's rule (``ganlab.train.ema``), so a
    short path is not dominated by its starting point. Rows after a NaN stay NaN.
    """
    if not 0.0 <= decay < 1.0:
        raise GanlabError(f"EMA decay must be in [0, 1), got {decay}")
    out = np.empty_like(x, dtype=np.float64)
    e = x[0].astype(np.float64)
    out[0] = e
    for t in range(1, len(x)):
        beta = min(decay, (1 + t) / (10 + t)) if warmup else decay
        e = beta * e + (1.0 - beta) * x[t]
        out[t] = e
    return out
