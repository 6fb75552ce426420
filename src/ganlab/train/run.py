"""Run folders: start, resume and load a training run.

A run folder holds ``config.yaml`` (the resolved config), ``log.jsonl`` (named loss terms),
``checkpoints/step_*.pt``, ``samples/``, and at the end ``samples.png``, ``losses.png`` and
``metrics.json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch import nn

import ganlab
from ganlab import plots
from ganlab.config import RESUMABLE_CHANGES, Config, diff, load_yaml, make_config, save_yaml, to_dict
from ganlab.data import Dataset, load_dataset
from ganlab.errors import GanlabError
from ganlab.game import Game
from ganlab.game.factory import make_game
from ganlab.nets import build_nets
from ganlab.train.checkpoint import atomic_write_bytes, checkpoint_path, latest_checkpoint, prune, save_checkpoint
from ganlab.train.log import JsonlLog, read_jsonl
from ganlab.train.trainer import Trainer

KEEP_CHECKPOINTS = 3  # the newest checkpoints kept in a run folder
N_SAMPLES = 64  # images in a sample grid (2-D data: 2,000 points)


@dataclasses.dataclass
class Run:
    """A loaded run: its config, data and networks at the newest checkpoint."""

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
    torch.manual_seed(cfg.train.seed)  # network initialisation is part of the seed's promise
    G, D = build_nets(cfg.model, dataset.shape, dataset.kind, type(game.objective).output)
    return dataset, game, G, D


def default_out(cfg: Config) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{cfg.data.name}-{cfg.game.objective}-{stamp}"


def _prepare_folder(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise GanlabError(
                f"output folder {out} already exists",
                f"resume it with `ganlab train --resume {out}`, pass --overwrite to replace it, or choose another --out",
            )
        if not (out / "config.yaml").exists():
            raise GanlabError(f"refusing to overwrite {out}: it is not a ganlab run folder", "choose another --out")
        shutil.rmtree(out)
    try:
        (out / "checkpoints").mkdir(parents=True, exist_ok=True)
        (out / "samples").mkdir(exist_ok=True)
    except OSError as err:
        raise GanlabError(f"cannot create output folder {out}: {err.strerror}", "choose a writable --out") from None


class RunHooks:
    """What the trainer's maintenance steps do in a run folder."""

    def __init__(self, out: Path, cfg: Config, dataset: Dataset) -> None:
        self.out = out
        self.cfg = cfg
        self.dataset = dataset
        self.records = JsonlLog(out / "log.jsonl")
        self.start = time.time()
        self.pbar = None
        self.fixed_z: torch.Tensor | None = None

    def log(self, trainer: Trainer, record: dict[str, float]) -> None:
        record = {**record, "time": round(time.time() - self.start, 3)}
        self.records.write(record)
        if self.pbar is not None:
            self.pbar.set_postfix({k.replace("/loss", ""): f"{v:.3g}" for k, v in record.items() if k.endswith("/loss")}, refresh=False)
            self.pbar.update(trainer.step - self.pbar.n)

    def sample(self, trainer: Trainer, path: Path | None = None) -> Path:
        path = path or self.out / "samples" / f"step_{trainer.step:08d}.png"
        save_samples(trainer.G_eval, self.fixed_z_for(trainer), self.dataset, path, f"step {trainer.step}")
        return path

    def fixed_z_for(self, trainer: Trainer) -> torch.Tensor:
        if self.fixed_z is None:
            n = 2000 if self.dataset.kind == "points" else N_SAMPLES
            gen = torch.Generator().manual_seed(12345)  # fixed, apart from the training streams
            self.fixed_z = torch.randn(n, trainer.G.z_dim, generator=gen).to(trainer.device)
        return self.fixed_z

    def checkpoint(self, trainer: Trainer) -> None:
        folder = self.out / "checkpoints"
        path = checkpoint_path(folder, trainer.step)
        state = trainer.state_dict()
        state.update({"config": to_dict(self.cfg), "log_lines": self.records.lines, "ganlab_version": ganlab.__version__})
        save_checkpoint(state, path)
        prune(folder, KEEP_CHECKPOINTS, protect=(path,))


def save_samples(G: nn.Module, z: torch.Tensor, dataset: Dataset, path: Path, title: str | None = None) -> None:
    was_training = G.training
    G.eval()
    with torch.no_grad():
        x = G(z).cpu()
    G.train(was_training)
    if dataset.kind == "points":
        plots.save_scatter(x, path, dataset.centres, real=dataset.test[:2000], title=title)
    else:
        plots.save_image_grid(x[:N_SAMPLES], path, title=title)


@contextlib.contextmanager
def _stop_on_signals(trainer: Trainer) -> Iterator[None]:
    """SIGINT / SIGTERM ask the trainer to checkpoint and stop after the current step."""

    def handler(signum, frame):  # noqa: ARG001
        if trainer.stop_requested:  # a second Ctrl-C: stop now, the last checkpoint stays valid
            raise KeyboardInterrupt
        trainer.stop_requested = True

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread: leave signals alone
            pass
    try:
        yield
    finally:
        for sig, h in previous.items():
            signal.signal(sig, h)


def _fit(trainer: Trainer, hooks: RunHooks, cfg: Config, quiet: bool) -> bool:
    from tqdm import tqdm

    disable = quiet or not cfg.train.progress
    bar = tqdm(total=cfg.train.steps, initial=trainer.step, desc="train", unit="step", disable=disable, file=sys.stderr, dynamic_ncols=True)
    with bar as pbar:
        hooks.pbar = pbar
        with _stop_on_signals(trainer):
            return trainer.fit(cfg.train.steps, hooks)


def _finish(trainer: Trainer, hooks: RunHooks, dataset: Dataset, game: Game, out: Path) -> dict:
    hooks.sample(trainer, out / "samples.png")
    plots.save_loss_curves(read_jsonl(out / "log.jsonl"), out / "losses.png", title=f"{out.name}: {game.describe()}")
    metrics = final_metrics(trainer.G_eval, trainer.D, dataset, seed=trainer.cfg.seed, device=trainer.device)
    metrics["step"] = trainer.step
    atomic_write_bytes(out / "metrics.json", (json.dumps(metrics, indent=2) + "\n").encode())
    return metrics


def final_metrics(G: nn.Module, D: nn.Module, dataset: Dataset, seed: int = 0, device: str | torch.device = "cpu") -> dict:
    """The end-of-run evaluation written to metrics.json (EMA generator against the test split)."""
    from ganlab.metrics import default_metrics, evaluate

    return evaluate(G, dataset, metrics=default_metrics(dataset), split="test", seed=seed, discriminator=D, device=str(device))


def train(
    cfg: Config,
    out: str | Path | None = None,
    *,
    overwrite: bool = False,
    quiet: bool = False,
) -> Path:
    """Start a run in ``out`` (default ``runs/DATA-OBJECTIVE-TIME``) and train it to the end."""
    out = Path(out) if out is not None else default_out(cfg)
    dataset, game, G, D = build(cfg)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)
    _prepare_folder(out, overwrite)
    save_yaml(cfg, out / "config.yaml")
    hooks = RunHooks(out, cfg, dataset)
    if not _fit(trainer, hooks, cfg, quiet):
        _say_stopped(out, trainer, quiet)
        return out
    _finish(trainer, hooks, dataset, game, out)
    return out


def _say_stopped(out: Path, trainer: Trainer, quiet: bool) -> None:
    if not quiet:
        print(f"stopped at step {trainer.step}; checkpoint saved. Resume with: ganlab train --resume {out}", file=sys.stderr)


def resume(run: str | Path, overrides: Sequence[str] = (), *, force: bool = False, quiet: bool = False) -> Path:
    """Continue a run from its newest valid checkpoint, exactly as if never interrupted."""
    out = Path(run)
    if not (out / "config.yaml").is_file():
        raise GanlabError(f"{out} is not a ganlab run folder (no config.yaml)", "pass the folder a previous `ganlab train` wrote")
    saved = load_yaml(out / "config.yaml")
    cfg = make_config(base=saved, overrides=overrides)
    found = latest_checkpoint(out / "checkpoints")
    if found is None:
        raise GanlabError(f"{out} has no usable checkpoint", "start it again with `ganlab train --overwrite --out RUN`")
    state, path, warnings = found
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    changed = [k for k in diff(state["config"], to_dict(cfg)) if k not in RESUMABLE_CHANGES]
    if changed and not force:
        raise GanlabError(
            f"resuming {out} with a changed config ({', '.join(changed)})",
            "resume with the original settings, or pass --force to continue with the new ones",
        )
    dataset, game, G, D = build(cfg)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)
    try:
        trainer.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as err:
        raise GanlabError(
            f"checkpoint {path} does not fit this config ({str(err).splitlines()[0][:120]})",
            "resume with the config the run was made with",
        ) from None
    save_yaml(cfg, out / "config.yaml")
    hooks = RunHooks(out, cfg, dataset)
    hooks.records.truncate(int(state.get("log_lines", 0)))
    if trainer.step >= cfg.train.steps:
        if not quiet:
            print(f"{out} already reached step {trainer.step}; raise train.steps to train further", file=sys.stderr)
    elif not _fit(trainer, hooks, cfg, quiet):
        _say_stopped(out, trainer, quiet)
        return out
    _finish(trainer, hooks, dataset, game, out)
    return out


def load_run(run: str | Path, checkpoint: str | Path | None = None) -> Run:
    """A run's config, data and networks (with EMA) at its newest (or the given) checkpoint."""
    from ganlab.train.checkpoint import load_checkpoint

    out = Path(run)
    if checkpoint is None and out.is_file():  # a checkpoint file was passed
        checkpoint, out = out, out.parent.parent
    if not (out / "config.yaml").is_file():
        raise GanlabError(f"{out} is not a ganlab run folder (no config.yaml)", "pass the folder a previous `ganlab train` wrote")
    if checkpoint is not None:
        state = load_checkpoint(checkpoint)
    else:
        found = latest_checkpoint(out / "checkpoints")
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
            import copy

            G_ema = copy.deepcopy(G)
            G_ema.load_state_dict(state["ema"]["model"])
            G_ema.eval().requires_grad_(False)
    except (RuntimeError, KeyError) as err:
        raise GanlabError(f"checkpoint in {out} does not match its config ({str(err).splitlines()[0][:120]})") from None
    G.eval()
    D.eval()
    return Run(out, cfg, dataset, game, G, D, G_ema, int(state["step"]))
