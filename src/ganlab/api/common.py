"""What a lone run and a group share: their evaluations, their run-folder hooks, the fit loop
with its progress bar and signal handling, and the end-of-run outputs."""

from __future__ import annotations

import sys
from typing import Any

import torch
from torch import nn

from ganlab import plots
from ganlab.config import Config, check_labelled
from ganlab.data import Dataset
from ganlab.game import Game
from ganlab.game.auxiliary import InfoGAN
from ganlab.metrics import evaluate, value_direction
from ganlab.metrics.floor import data_floor
from ganlab.nets import build_nets
from ganlab.serial import read_jsonl
from ganlab.train.folder import RunFolder
from ganlab.train.hooks import Evaluator, Progress, RunHooks
from ganlab.train.recovery import roll_back, stop_on_signals
from ganlab.train.trainer import DivergenceError, Trainer


def nets_for(cfg: Config, dataset: Dataset, game: Game) -> tuple[nn.Module, nn.Module]:
    """Freshly initialised G and D for the config, its data (class count) and game (aux heads)."""
    info = next((p for p in game.penalties if isinstance(p, InfoGAN)), None)
    codes = (info.categorical, info.continuous) if info is not None else None
    check_labelled(cfg, dataset)
    n_classes = dataset.n_classes if cfg.model.conditional else None
    return build_nets(cfg.model, dataset.shape, dataset.kind, type(game.objective).output, n_classes=n_classes, codes=codes)


def make_trainer(cfg: Config, dataset: Dataset, game: Game, G: nn.Module, D: nn.Module, dist: Any = None) -> Trainer:
    """A Trainer over the training split (with its labels when the game is conditional)."""
    labels = torch.as_tensor(dataset.labels["train"]) if cfg.model.conditional else None
    return Trainer(G, D, game, dataset.train, cfg.train, dist=dist, labels=labels)


def metrics_of(cfg: Config, dataset: Dataset) -> list[str]:
    return list(cfg.eval.metrics) if cfg.eval.metrics is not None else list(dataset.metrics)


def make_evaluator(cfg: Config, dataset: Dataset, device: torch.device | str) -> Evaluator:
    """The evaluations during training: the best_metric's metric, or the run's metrics."""
    names = [value_direction(cfg.train.best_metric)[0]] if cfg.train.best_metric else metrics_of(cfg, dataset)

    def run(G: nn.Module, D: nn.Module, split: str, n: int, seed: int) -> dict[str, Any]:
        return evaluate(G, dataset, metrics=names, split=split, n=n, seed=seed, device=str(device), discriminator=D,
                        features=cfg.eval.features, options=cfg.eval.options)  # fmt: skip

    return run


def final_metrics(cfg: Config, trainer: Trainer, dataset: Dataset) -> dict[str, Any]:
    """The end-of-run evaluation written to metrics.json: the EMA generator against the test
    split ("values"), and with EMA on the raw generator too ("raw"), so that one sees which is better."""

    def of(G: nn.Module) -> dict[str, Any]:
        return evaluate(G, dataset, metrics=metrics_of(cfg, dataset), split="test", n=cfg.eval.n, seed=cfg.train.seed,
                        discriminator=trainer.D, device=str(trainer.device), features=cfg.eval.features,
                        options=cfg.eval.options)  # fmt: skip

    result = of(trainer.G_eval)
    if trainer.G_eval is not trainer.G:
        result["raw"] = {"values": of(trainer.G)["values"], "generator": "the raw G (its own BatchNorm statistics)"}
        result["generator"] = "the EMA of G's weights (BatchNorm statistics estimated for them)"
    if cfg.eval.floor:  # what real data scores the same way: a FID of 6.4 means little without it
        floor = data_floor(dataset, metrics_of(cfg, dataset), split="test", n=cfg.eval.n, seed=cfg.train.seed,
                           features=cfg.eval.features, options=cfg.eval.options, device=str(trainer.device))  # fmt: skip
        result["floor"] = {"values": floor["values"], "samples": "held-out training images in place of generated ones",
                           "n": floor["protocol"].get("n_generated"), "skipped": floor.get("skipped", {})}  # fmt: skip
    return result


def run_hooks(folder: RunFolder, cfg: Config, dataset: Dataset, trainer: Trainer, state: dict | None) -> RunHooks:
    best = (cfg.train.best_metric, value_direction(cfg.train.best_metric)[1]) if cfg.train.best_metric else None
    evaluator = make_evaluator(cfg, dataset, trainer.device) if cfg.train.eval_every else None
    return RunHooks(folder, cfg, dataset, Progress.from_state(state, cfg.train.best_metric), evaluator, best)


def fit(trainer: Trainer, hooks: RunHooks, origin: dict | None, quiet: bool) -> bool:
    from tqdm import tqdm

    cfg = hooks.cfg
    disable = quiet or not cfg.train.progress
    bar = tqdm(total=cfg.train.steps, initial=trainer.step, desc="train", unit="step", disable=disable, file=sys.stderr, dynamic_ncols=True)
    with bar as pbar, stop_on_signals(trainer):
        hooks.pbar = pbar
        while True:
            try:
                return trainer.fit(cfg.train.steps, hooks.callbacks())
            except DivergenceError as err:
                if cfg.train.on_divergence != "rollback":
                    raise
                roll_back(trainer, hooks, err, origin)
                pbar.n = trainer.step
                pbar.refresh()


def finish(trainer: Trainer, hooks: RunHooks, dataset: Dataset, game: Game) -> dict:
    folder = hooks.folder
    hooks.sample(trainer, folder.final_samples)
    plots.save_loss_curves(read_jsonl(folder.log), folder.losses, title=f"{folder.path.name}: {game.describe()}")
    metrics = final_metrics(hooks.cfg, trainer, dataset)
    metrics["step"] = trainer.step
    folder.write_metrics(metrics)
    return metrics
