"""Training inside experiments: the library's one loop, ``Trainer.fit``, driven in memory.

Experiments train hundreds of small models; a run folder per model (checkpoints, sample
grids, the end-of-run evaluation) would cost more than the training. So ``train_loop`` builds
exactly what ``ganlab train`` builds (``api.in_memory``) and passes ``Trainer.fit`` its own
callbacks: a measurement every ``every`` steps, extra generator averages; a divergence ends
the run and is reported, not raised.

``train_seeds`` trains the seeds of one setting together, as one group (``train.runs``, the
batched engine), wherever a group is faster per run than its runs one after another
(``api.groups.batching_pays``: always on a GPU, MLPs on a CPU), and one after another
elsewhere; either way run i is the lone run with seed ``train.seed + i``.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import torch
from tqdm import tqdm

from ganlab.api import in_memory
from ganlab.api.groups import batching_pays, run_config
from ganlab.config import Config, make_config
from ganlab.data import Dataset, load_dataset
from ganlab.game.factory import make_game
from ganlab.metrics import evaluate
from ganlab.train import DivergenceError, Every, Trainer
from ganlab.train.ema import EMA
from ganlab.train.grouphooks import RunView

# the 2-D base every 2-D experiment starts from: the first ring8 preset, every key pinned so that the mixtures'
# own defaults (presets.DATA_DEFAULTS, the tuned configs/ring8.yaml) do not change the published RESULTS.md under it
POINTS_BASE = ("model.z_dim=2", "model.width=64", "model.depth=3", "model.g_norm=batch", "model.init=normal", "train.batch_size=256",
               "train.lr_d=2.0e-4", "train.lr_g=2.0e-4", "game.penalties=[]", "train.progress=false")  # fmt: skip
MODE_SAMPLES = 2500  # generated points per mode-coverage evaluation (PacGAN evaluates 2,500)


@dataclasses.dataclass
class Trained:
    """A finished (or diverged) in-memory run."""

    cfg: Config
    dataset: Dataset
    trainer: Any  # a Trainer, or run i of a group's (``GroupMember``): .G, .G_eval, .cpu_seconds
    extra_ema: dict[float, Any]  # decay → an EMA (or run i's average): .model
    diverged: str | None  # "term at step N", or None
    history: list[dict[str, Any]]

    @property
    def cpu_seconds(self) -> float:
        """Process CPU time of the training steps alone (callbacks excluded)."""
        return self.trainer.cpu_seconds



def _ms(seconds: float) -> float:
    """CPU seconds to the millisecond, rounded down: a history's reading must never exceed the
    run's final CPU time, which is the budget a time-to-target comparison censors at."""
    return math.floor(seconds * 1000) / 1000

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
            run.history.append({"step": tr.step, "cpu": _ms(tr.cpu_seconds), **row})

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


class GroupMember(RunView):
    """Run i of a group trainer as experiments read a lone trainer: its networks (copies, taken
    when the view is made) and its share of the group's training CPU time."""

    @property
    def cpu_seconds(self) -> float:
        return self.trainer.cpu_seconds / self.trainer.runs


@dataclasses.dataclass
class Averaged:
    """Run i's copy of an extra generator average of a group."""

    model: torch.nn.Module


def grouped(cfg: Config, seeds: int) -> bool:
    """Whether ``train_seeds`` trains these seeds as one group (see the module docstring)."""
    if seeds < 2:
        return False
    game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
    return batching_pays(cfg, load_dataset(cfg.data), game)


def train_seeds(
    cfg: Config,
    seeds: int,
    *,
    every: int = 0,
    callback: Callable[[Trained, int], dict[str, Any] | None] | None = None,
    extra_ema: Sequence[float] = (),
    desc: str = "",
) -> list[Trained]:
    """``seeds`` runs of ``cfg`` with seeds ``train.seed`` … ``train.seed + seeds − 1``, as
    ``train_loop`` trains one: a group where it pays (``grouped``), else one after another. The
    callback sees each live run of a group as a lone run; a run of a group that diverges is
    frozen and reported (``diverged``) while the others train on."""
    if not grouped(cfg, seeds):
        return [train_loop(run_config(dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, runs=seeds)), i),
                           every=every, callback=callback, extra_ema=extra_ema, desc=f"{desc} s{i}".strip())
                for i in range(seeds)]  # fmt: skip
    gcfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, runs=seeds))
    dataset, trainer = in_memory(gcfg)
    emas = {d: EMA(trainer.G, d) for d in extra_ema}
    runs = [Trained(run_config(gcfg, i), dataset, GroupMember(trainer, i), {}, None, []) for i in range(seeds)]
    bar = tqdm(total=cfg.train.steps, desc=f"{desc} ×{seeds}".strip(), leave=False, file=sys.stderr, disable=None)

    def refresh(i: int) -> Trained:
        run = runs[i]
        run.trainer = GroupMember(trainer, i)  # fresh copies of the current weights
        run.extra_ema = {d: Averaged(e.model.unstack(i)) for d, e in emas.items()}
        return run

    def measure(tr: Trainer) -> None:
        for i in range(seeds):
            if i in tr.frozen.runs:
                continue  # a diverged lone run stops; so does its history
            row = callback(refresh(i), tr.step) if callback is not None else None
            if row is not None:
                runs[i].history.append({"step": tr.step, "cpu": _ms(tr.cpu_seconds / seeds), **row})

    def averages(tr: Trainer) -> None:
        for ema in emas.values():
            ema.update(tr.G)
        bar.update(1)

    with bar:
        try:
            trainer.fit(cfg.train.steps, [Every(1, averages), Every(every, measure, at_start=bool(every))])
        except DivergenceError as err:  # every run diverged
            for i in range(seeds):
                trainer.frozen.runs.setdefault(i, (err.term, err.step))
    for i in range(seeds):
        refresh(i)
        if i in trainer.frozen.runs:
            term, step = trainer.frozen.runs[i]
            runs[i].diverged = f"{term} at step {step}"
    return runs


def modes_of(G: torch.nn.Module, dataset: Dataset, seed: int = 0, n: int = MODE_SAMPLES) -> dict[str, float]:
    """Mode coverage (modes, hq, reverse_kl) of ``G`` on a mixture's test protocol."""
    return evaluate(G, dataset, metrics=["mode_coverage"], n=n, seed=seed)["values"]
