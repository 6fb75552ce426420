"""Training inside experiments: the library's one loop, ``Trainer.fit``, driven in memory.

Experiments train hundreds of small models; a run folder per model (checkpoints, sample
grids, the end-of-run evaluation) would cost more than the training. So ``train_loop`` builds
exactly what ``ganlab train`` builds (``api.in_memory``) and passes ``Trainer.fit`` its own
callbacks: a measurement every ``every`` steps, extra generator averages; a divergence ends
the run and is reported, not raised.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import Any

import torch
from tqdm import tqdm

from ganlab.api import in_memory
from ganlab.config import Config, make_config
from ganlab.data import Dataset
from ganlab.metrics import evaluate
from ganlab.train import DivergenceError, Every, Trainer
from ganlab.train.ema import EMA

# the 2-D base every 2-D experiment starts from (the first ring8 preset; the tuned presets configs/ring8.yaml and
# configs/grid25.yaml, docs/mixtures_2d.md, are not yet what the experiments train)
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
    history: list[dict[str, Any]]

    @property
    def cpu_seconds(self) -> float:
        """Process CPU time of the training steps alone (callbacks excluded)."""
        return self.trainer.cpu_seconds


def make(overrides: Sequence[str], path: str | None = None) -> Config:
    return make_config(path, list(overrides))


def train_loop(
    cfg: Config,
    *,
    every: int = 0,
    callback: Callable[[Trained, int], dict[str, Any] | None] | None = None,
    extra_ema: Sequence[float] = (),
    desc: str = "",
) -> Trained:
    """Train ``cfg.train.steps`` G steps; every ``every`` steps (and at step 0 when ``every``)
    call ``callback(run, step)`` and keep its dict in ``run.history``. ``extra_ema``: decays of
    additional generator averages updated after every step (the trainer keeps one, train.ema).
    Losses and weights are checked finite every ``train.log_every`` steps."""
    dataset, trainer = in_memory(cfg)
    run = Trained(cfg, dataset, trainer, {d: EMA(trainer.G, d) for d in extra_ema}, None, [])
    bar = tqdm(total=cfg.train.steps, desc=desc or cfg.game.objective, leave=False, file=sys.stderr, disable=None)

    def measure(tr: Trainer) -> None:
        row = callback(run, tr.step) if callback is not None else None
        if row is not None:
            run.history.append({"step": tr.step, "cpu": round(tr.cpu_seconds, 3), **row})

    def averages(tr: Trainer) -> None:
        for ema in run.extra_ema.values():
            ema.update(tr.G)
        bar.update(1)

    callbacks = [Every(1, averages), Every(every, measure, at_start=bool(every))]
    with bar:
        try:
            trainer.fit(cfg.train.steps, callbacks)
        except DivergenceError as err:
            run.diverged = f"{err.term} at step {err.step}"
    return run


def modes_of(G: torch.nn.Module, dataset: Dataset, seed: int = 0, n: int = MODE_SAMPLES) -> dict[str, float]:
    """Mode coverage (modes, hq, reverse_kl) of ``G`` on a mixture's test protocol."""
    return evaluate(G, dataset, metrics=["mode_coverage"], n=n, seed=seed)["values"]
