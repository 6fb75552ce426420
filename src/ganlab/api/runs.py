"""Train, resume, load and check runs: the one place that wires data + game + nets + Trainer + metrics.

A run folder (``ganlab.train.folder``) holds the resolved config, the log, checkpoints, sample
grids and the end-of-run metrics. Nothing is lost: a run killed at any moment resumes from its
newest checkpoint and ends with the same weights, bit for bit, as one never interrupted; the
log, the sample grids and best.pt are cut back to what that checkpoint knew. One process
writes a run folder at a time (train, resume and overwrite hold its lock to the end), a
checkpoint whose sha256 does not match is set aside like a truncated one, and a folder is
created complete or not at all. A divergence
stops the run, or with ``train.on_divergence=rollback`` reloads the last good checkpoint with
lower learning rates. Experiments train in memory with ``in_memory`` and ``Trainer.fit``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from ganlab.api.common import finish, fit, make_trainer, nets_for, run_hooks
from ganlab.config import RESUMABLE_CHANGES, Config, check_data, diff, make_config, to_dict
from ganlab.data import Dataset, load_dataset
from ganlab.errors import GanlabError
from ganlab.game import Game
from ganlab.game.factory import make_game
from ganlab.train import distributed
from ganlab.train.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint
from ganlab.train.folder import RunFolder
from ganlab.train.hooks import RunHooks
from ganlab.train.optim import set_learning_rates
from ganlab.train.state import threads
from ganlab.train.trainer import Trainer


@dataclasses.dataclass
class Run:
    """A loaded run: its config, data and networks at the newest (or a given) checkpoint."""

    path: Path
    config: Config
    dataset: Dataset
    game: Game
    G: nn.Module
    D: nn.Module
    G_ema: nn.Module | None
    step: int

    @property
    def G_eval(self) -> nn.Module:
        return self.G_ema if self.G_ema is not None else self.G


def build(cfg: Config) -> tuple[Dataset, Game, nn.Module, nn.Module]:
    """Data, game and freshly initialised networks for a config."""
    game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
    dataset = load_dataset(cfg.data)
    from ganlab.api.groups import check_size

    check_size(cfg, dataset, game)
    torch.manual_seed(cfg.train.seed)  # network initialisation is part of the seed's promise
    G, D = nets_for(cfg, dataset, game)
    return dataset, game, G, D


def in_memory(cfg: Config) -> tuple[Dataset, Trainer]:
    """The data and a Trainer for ``cfg``, checked like a run but with no folder (experiments);
    with ``train.runs = N`` the trainer of a group."""
    from ganlab.api.groups import build_group

    dataset, game, G, D = build_group(cfg) if cfg.train.runs > 1 else build(cfg)
    check_data(cfg, dataset)
    return dataset, make_trainer(cfg, dataset, game, G, D)


def default_out(cfg: Config) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{cfg.data.name}-{cfg.game.objective}-{stamp}"


def dry_run(cfg: Config, out: str | Path | None = None, overwrite: bool = False) -> None:
    """Everything a run checks before its first step, without training or writing."""
    from ganlab.api.groups import build_group

    dataset, game, G, D = build_group(cfg) if cfg.train.runs > 1 else build(cfg)
    check_data(cfg, dataset)
    make_trainer(cfg, dataset, game, G, D)
    if out is not None:
        RunFolder(out).check_new(overwrite)


def train(cfg: Config, out: str | Path | None = None, *, overwrite: bool = False, quiet: bool = False) -> Path:
    """Start a run in ``out`` (default ``runs/DATA-OBJECTIVE-TIME``) and train it to the end;
    with ``train.runs = N`` a group of N runs (``ganlab.api.groups``). Runs with
    ``train.threads`` torch threads."""
    with threads(cfg.train.threads):
        return _train(cfg, out, overwrite=overwrite, quiet=quiet)


def _train(cfg: Config, out: str | Path | None, *, overwrite: bool, quiet: bool) -> Path:
    if cfg.train.runs > 1:
        from ganlab.api.groups import train_group

        return train_group(cfg, Path(out) if out is not None else default_out(cfg), overwrite=overwrite, quiet=quiet)
    info = distributed.from_env()
    if info.enabled and out is None:
        raise GanlabError("a run on several processes needs an explicit --out", "pass --out DIR (the same on every process)")
    folder = RunFolder(out if out is not None else default_out(cfg))
    if info.is_main:
        folder.check_new(overwrite)  # before any work; create() checks again under the lock
    dataset, game, G, D = build(cfg)
    check_data(cfg, dataset)
    trainer = make_trainer(cfg, dataset, game, G, D, dist=info)
    with contextlib.ExitStack() as held:
        if info.is_main:  # the lock is held until the run ends, however it ends
            held.enter_context(folder.create(overwrite, to_dict(cfg)))
        distributed.barrier(info)
        hooks = run_hooks(folder, cfg, dataset, trainer, None)
        origin = copy.deepcopy(trainer.state_dict()) if cfg.train.on_divergence == "rollback" else None  # nothing to roll back to yet
        return _run_to_end(trainer, hooks, dataset, game, origin, quiet)


def resume(run: str | Path, overrides: Sequence[str] = (), *, force: bool = False, quiet: bool = False) -> Path:
    """Continue a run from its newest valid checkpoint, exactly as if never interrupted.

    A run killed before its first checkpoint starts again from step 0 in its folder; a group
    folder resumes every run of the group.
    """
    from ganlab.api.groups import resume_group
    from ganlab.train.folder import GroupFolder

    if GroupFolder(run).is_group():
        return resume_group(GroupFolder(run), overrides, force=force, quiet=quiet)
    folder = RunFolder(run)
    folder.require_run()
    info = distributed.from_env()
    with contextlib.ExitStack() as held:
        if info.is_main:  # taken before anything is read: a live run's files are never judged or cut
            held.enter_context(folder.lock())
        saved = folder.read_config()
        cfg = make_config(base=saved, overrides=overrides)
        with threads(cfg.train.threads):
            return _resume(folder, saved, cfg, overrides, force=force, quiet=quiet)


def _resume(folder: RunFolder, saved: dict, cfg: Config, overrides: Sequence[str], *, force: bool, quiet: bool) -> Path:
    found = latest_checkpoint(folder.checkpoints)
    if found is None:
        existing = list_checkpoints(folder.checkpoints)
        if existing:
            raise GanlabError(
                f"none of the {len(existing)} checkpoints of {folder.path} loads (e.g. {existing[-1][1].name})",
                f"start the run again with `ganlab train --overwrite --out {folder.path}`",
            )
        state, before = None, to_dict(make_config(base=saved))
        print(f"warning: {folder.path} has no checkpoint yet; training it from step 0", file=sys.stderr)
    else:
        state, path, skipped = found
        before = to_dict(make_config(base=state["config"]))  # with today's defaults for keys it predates
        for w in skipped:
            print(f"warning: {w}", file=sys.stderr)
    changed = [k for k in diff(before, to_dict(cfg)) if k not in RESUMABLE_CHANGES]
    if changed and not force:
        raise GanlabError(
            f"resuming {folder.path} with a changed config ({', '.join(changed)})",
            "resume with the original settings, or pass --force to continue with the new ones",
        )
    dataset, game, G, D = build(cfg)
    check_data(cfg, dataset)
    info = distributed.from_env()
    trainer = make_trainer(cfg, dataset, game, G, D, dist=info)
    if state is not None:
        try:
            trainer.load_state_dict(state)
        except (RuntimeError, KeyError, ValueError, TypeError) as err:
            raise GanlabError(
                f"checkpoint {path} does not fit this config ({str(err).splitlines()[0][:120]})",
                "resume with the config the run was made with",
            ) from None
    hooks = run_hooks(folder, cfg, dataset, trainer, state)
    if info.is_main:  # rank 0 alone touches the folder: cut logs and samples back, rewrite the config
        folder.make_dirs()
        hooks.restore(state)
        folder.write_config(to_dict(cfg))
    distributed.barrier(info)
    set_learning_rates(trainer.opt_d, trainer.opt_g, cfg.train, hooks.progress.lr_scale)
    origin = copy.deepcopy(trainer.state_dict()) if cfg.train.on_divergence == "rollback" and state is None else None
    if trainer.step >= cfg.train.steps:
        if not quiet and info.is_main:
            print(f"{folder.path} already reached step {trainer.step}; raise train.steps to train further", file=sys.stderr)
        if info.is_main:
            finish(trainer, hooks, dataset, game)
        distributed.shutdown()
        return folder.path
    return _run_to_end(trainer, hooks, dataset, game, origin, quiet)


def _run_to_end(trainer: Trainer, hooks: RunHooks, dataset: Dataset, game: Game, origin: dict | None, quiet: bool) -> Path:
    """Train, then (rank 0) write the final samples, curves and metrics."""
    info = trainer.dist
    finished = fit(trainer, hooks, origin, quiet or not info.is_main)
    if info.is_main:
        if not finished:
            # printed even with --quiet: it is the only word on how to continue
            print(f"stopped at step {trainer.step}; checkpoint saved. Resume with: ganlab train --resume {hooks.folder.path}",
                  file=sys.stderr)  # fmt: skip
        else:
            finish(trainer, hooks, dataset, game)
    distributed.barrier(info)
    distributed.shutdown()
    return hooks.folder.path


def load_run(run: str | Path, checkpoint: str | Path | None = None) -> Run:
    """A run's config, data and networks (with EMA) at its newest (or the given) checkpoint."""
    out = Path(run)
    if checkpoint is None and out.is_file():  # a checkpoint file was passed
        checkpoint, out = out, out.parent.parent
    folder = RunFolder(out)
    folder.require_run()
    from ganlab.train.folder import GroupFolder

    if GroupFolder(out).is_group():
        runs = GroupFolder(out).runs()
        raise GanlabError(f"{out} is a group of runs", f"load one of its runs, e.g. {runs[0].path if runs else out / 'seed-0'}")
    if checkpoint is not None:
        state = load_checkpoint(checkpoint)
    else:
        found = latest_checkpoint(folder.checkpoints)
        if found is None:
            raise GanlabError(f"{out} has no usable checkpoint", "train it first, or pass a checkpoint file")
        state = found[0]
    cfg = make_config(base=state["config"])
    dataset, game, G, D = build(cfg)
    try:
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        G_ema = None
        if state.get("ema") is not None:
            G_ema = copy.deepcopy(G)
            G_ema.load_state_dict(state["ema"]["model"])
            G_ema.eval().requires_grad_(False)
    except (RuntimeError, KeyError) as err:
        raise GanlabError(f"checkpoint in {out} does not match its config ({str(err).splitlines()[0][:120]})") from None
    G.eval()
    D.eval()
    return Run(out, cfg, dataset, game, G, D, G_ema, int(state["step"]))


def load_group(folder: str | Path) -> list[Run]:
    """The runs of a group, each as ``load_run`` loads it (by seed)."""
    from ganlab.train.folder import GroupFolder

    return [load_run(r.path) for r in GroupFolder(folder).runs()]
