"""Training inside experiments: the library's ``Trainer`` driven in memory.

Experiments train hundreds of small models; a run folder per model (checkpoints, sample
grids, the end-of-run evaluation) would cost more than the training. So this loop builds
exactly what ``ganlab train`` builds (``train.run.build`` + ``Trainer``) and calls
``Trainer.train_step`` with a callback every ``every`` steps; a divergence ends the run and
is reported, not raised.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from tqdm import tqdm

from ganlab.config import Config, make_config
from ganlab.data import Dataset
from ganlab.metrics import evaluate
from ganlab.train.ema import EMA
from ganlab.train.run import build, check
from ganlab.train.trainer import DivergenceError, Trainer

# ring8 preset (configs/ring8.yaml): the known-good 2-D settings every 2-D experiment starts from
POINTS_BASE = ("model.z_dim=2", "model.width=64", "train.batch_size=256", "train.progress=false")
MODE_SAMPLES = 2500  # generated points per mode-coverage evaluation (PacGAN evaluates 2,500)


@dataclasses.dataclass
class Trained:
    """A finished (or diverged) in-memory run."""

    cfg: Config
    dataset: Dataset
    trainer: Trainer
    extra_ema: dict[float, EMA]
    diverged: str | None  # "term at step N", or None
    cpu_seconds: float  # process CPU time of the training steps alone (callbacks excluded)
    history: list[dict[str, Any]]


def make(overrides: Sequence[str], path: str | None = None) -> Config:
    return make_config(path, list(overrides))


def train_loop(
    cfg: Config,
    *,
    every: int = 0,
    callback: Callable[[Trained, int], dict[str, Any] | None] | None = None,
    extra_ema: Sequence[float] = (),
    desc: str = "",
    check_every: int = 50,
) -> Trained:
    """Train ``cfg.train.steps`` G steps; every ``every`` steps (and at step 0 when ``every``)
    call ``callback(run, step)`` and keep its dict in ``run.history``. ``extra_ema``: decays of
    additional generator averages updated after every step (the trainer keeps one, train.ema)."""
    dataset, game, G, D = build(cfg)
    check(cfg, dataset)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)
    run = Trained(cfg, dataset, trainer, {d: EMA(trainer.G, d) for d in extra_ema}, None, 0.0, [])

    def maybe_call(step: int) -> None:
        if callback is not None and every and step % every == 0:
            row = callback(run, step)
            if row is not None:
                run.history.append({"step": step, "cpu": round(run.cpu_seconds, 3), **row})

    maybe_call(0)
    steps = cfg.train.steps
    for step in tqdm(range(1, steps + 1), desc=desc or cfg.game.objective, leave=False, file=sys.stderr, disable=None):
        start = time.process_time()
        trainer.train_step()
        for ema in run.extra_ema.values():
            ema.update(trainer.G)
        try:
            if step % check_every == 0 or step == steps:
                trainer.check_finite()
        except DivergenceError as err:
            run.diverged = f"{err.term} at step {err.step}"
            run.cpu_seconds += time.process_time() - start
            break
        run.cpu_seconds += time.process_time() - start
        maybe_call(step)
    return run


def modes_of(G: torch.nn.Module, dataset: Dataset, seed: int = 0, n: int = MODE_SAMPLES) -> dict[str, float]:
    """Mode coverage (modes, hq, reverse_kl) of ``G`` on a mixture's test protocol."""
    return evaluate(G, dataset, metrics=["mode_coverage"], n=n, seed=seed)["values"]


def finite(G: torch.nn.Module) -> bool:
    return all(torch.isfinite(p).all() for p in G.parameters())
