"""Run folders: start, resume and load a training run.

A run folder holds ``config.yaml`` (the resolved config), ``log.jsonl`` (named loss terms,
evaluations and rollbacks), ``checkpoints/step_*.pt`` (the newest ``train.keep_checkpoints``)
and ``checkpoints/best.pt`` (by ``train.best_metric``), ``samples/``, and at the end
``samples.png``, ``losses.png`` and ``metrics.json``.

Nothing is lost: a run killed at any moment resumes from its newest checkpoint and ends with
the same weights, bit for bit, as one never interrupted; the log, the sample grids and
best.pt are cut back to what that checkpoint knew. A divergence stops the run, or with
``train.on_divergence=rollback`` reloads the last good checkpoint with lower learning rates.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import os
import random
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import nn

import ganlab
from ganlab import plots
from ganlab.config import RESUMABLE_CHANGES, Config, diff, load_yaml, make_config, to_dict
from ganlab.data import Dataset, load_dataset
from ganlab.errors import GanlabError
from ganlab.game import Game
from ganlab.game.factory import make_game
from ganlab.nets import build_nets
from ganlab.nets.modes import frozen_eval
from ganlab.registry import did_you_mean
from ganlab.train import distributed
from ganlab.train.checkpoint import (
    BEST,
    BEST_METRICS,
    atomic_write_bytes,
    checkpoint_path,
    is_better,
    latest_checkpoint,
    list_checkpoints,
    prune,
    save_checkpoint,
    set_aside_newer,
)
from ganlab.train.log import JsonlLog, read_jsonl
from ganlab.train.trainer import OPTIMIZERS, DivergenceError, Trainer, resolve_device

N_SAMPLES = 64  # images in a sample grid (2-D data: 2,000 points)
_SAMPLE_NAME = re.compile(r"^step_(\d{8})\.png$")
_DEVICE = re.compile(r"^(cpu|auto|mps|cuda(:\d{1,3})?)$")


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


def check(cfg: Config, dataset: Dataset) -> None:
    """What a training run needs beyond a valid config (``config.validate``): names looked up
    by the trainer, and sizes that depend on the data. ``--dry-run`` calls it too, so that a
    run it accepts does not fail at its first step. (Loading a finished run for sampling does
    not: it need not train on the device it was trained on.)"""
    t = cfg.train
    # torch.device accepts names (meta, xpu, mps, cpu:3, …) that fail only when the nets are
    # moved there; accept what a run can use here, and say which
    if not _DEVICE.match(t.device):
        raise GanlabError(f'unknown train.device "{t.device}"', "use cpu, cuda, cuda:N or auto")
    device = resolve_device(t.device)
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise GanlabError("train.device=mps but no Apple GPU is available", "use train.device=cpu or auto")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise GanlabError(f"train.device={t.device} but this machine has {torch.cuda.device_count()} GPU(s)", "use cuda:0 … or auto")
    for key in ("optimizer_d", "optimizer_g"):
        name = getattr(t, key)
        if name not in OPTIMIZERS:
            hint = did_you_mean(name, list(OPTIMIZERS))
            raise GanlabError(f'unknown train.{key} "{name}"{hint}', f"choose one of: {', '.join(OPTIMIZERS)}")
    if t.batch_size > len(dataset.train):
        raise GanlabError(
            f"train.batch_size={t.batch_size} exceeds the {len(dataset.train)} training samples of {dataset.name}",
            f"lower train.batch_size to at most {len(dataset.train)}, or use more data",
        )
    if t.best_metric is not None:
        if t.best_metric not in BEST_METRICS:
            names = sorted(BEST_METRICS)
            hint = did_you_mean(t.best_metric, names)
            raise GanlabError(f'unknown train.best_metric "{t.best_metric}"{hint}', f"choose one of: {', '.join(names)}")
        if BEST_METRICS[t.best_metric][0] == "mode_coverage" and dataset.centres is None:
            raise GanlabError(
                f"train.best_metric={t.best_metric} needs a Gaussian mixture with known modes, not {dataset.name}",
                "use fid or kid_mean for images, or data.name=ring8 / grid25",
            )


def check_out_folder(out: Path, overwrite: bool) -> None:
    """Refuse to start a run in a folder that holds something, unless it is a run to replace."""
    if out.exists() and not out.is_dir():
        raise GanlabError(f"output folder {out} is a file", "choose another --out")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise GanlabError(
                f"output folder {out} already exists",
                f"resume it with `ganlab train --resume {out}`, pass --overwrite to replace it, or choose another --out",
            )
        if not (out / "config.yaml").exists():
            raise GanlabError(f"refusing to overwrite {out}: it is not a ganlab run folder", "choose another --out")


def default_out(cfg: Config) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{cfg.data.name}-{cfg.game.objective}-{stamp}"


def _prepare_folder(out: Path, overwrite: bool) -> None:
    check_out_folder(out, overwrite)
    if out.exists() and any(out.iterdir()):
        shutil.rmtree(out)
    try:
        (out / "checkpoints").mkdir(parents=True, exist_ok=True)
        (out / "samples").mkdir(exist_ok=True)
    except OSError as err:
        raise GanlabError(f"cannot create output folder {out}: {err.strerror}", "choose a writable --out") from None


class RunHooks:
    """What the trainer's maintenance steps do in a run folder.

    Besides the trainer's own state, a checkpoint holds the run's: how many log records it
    knew (``log_lines``), the best evaluation so far (``best``) and the rollbacks done with
    the learning-rate scale they left (``rollbacks``, ``lr_scale``).
    """

    def __init__(self, out: Path, cfg: Config, dataset: Dataset, state: dict | None = None) -> None:
        self.out = out
        self.cfg = cfg
        self.dataset = dataset
        self.records = JsonlLog(out / "log.jsonl")
        self.start = time.time()
        self.pbar = None
        self.fixed_z: torch.Tensor | None = None
        state = state or {}
        best = state.get("best")
        # a changed best_metric (a resumable change) starts its own record
        self.best: dict | None = best if best and best.get("metric") == cfg.train.best_metric else None
        self.rollbacks = int(state.get("rollbacks", 0))
        self.lr_scale = float(state.get("lr_scale", 1.0))
        self.origin: dict | None = None  # the state training started from, when there is no checkpoint to roll back to

    def log(self, trainer: Trainer, record: dict[str, float]) -> None:
        record = {**record, "time": round(time.time() - self.start, 3)}
        self.write(record)
        if self.pbar is not None:
            self.pbar.set_postfix({k.replace("/loss", ""): f"{v:.3g}" for k, v in record.items() if k.endswith("/loss")}, refresh=False)
            self.pbar.update(trainer.step - self.pbar.n)

    def write(self, record: dict[str, Any]) -> None:
        try:
            self.records.write(record)
        except OSError as err:
            raise GanlabError(
                f"could not append to {self.records.path}: {err.strerror or err}",
                f"free disk space, then resume with `ganlab train --resume {self.out}` (the last checkpoint is intact)",
            ) from None

    def sample(self, trainer: Trainer, path: Path | None = None) -> Path:
        path = path or self.out / "samples" / f"step_{trainer.step:08d}.png"
        try:
            save_samples(trainer.G_eval, self.fixed_z_for(trainer), self.dataset, path, f"step {trainer.step}")
        except OSError as err:
            raise GanlabError(
                f"could not write {path}: {err.strerror or err}",
                f"free disk space, then resume with `ganlab train --resume {self.out}` (the last checkpoint is intact)",
            ) from None
        return path

    def fixed_z_for(self, trainer: Trainer) -> torch.Tensor:
        if self.fixed_z is None:
            n = 2000 if self.dataset.kind == "points" else N_SAMPLES
            gen = torch.Generator().manual_seed(12345)  # fixed, apart from the training streams
            self.fixed_z = torch.randn(n, trainer.G.z_dim, generator=gen).to(trainer.device)
        return self.fixed_z

    def evaluate(self, trainer: Trainer) -> bool:
        """Evaluate G on the validation split, log it, and say whether it beat the best so far."""
        from ganlab.metrics import default_metrics, evaluate

        t = self.cfg.train
        metrics = [BEST_METRICS[t.best_metric][0]] if t.best_metric else default_metrics(self.dataset)
        with _training_rng_kept(trainer.device):
            result = evaluate(
                trainer.G_eval, self.dataset, metrics=metrics, split="val", n=t.eval_n, seed=t.seed,
                device=str(trainer.device), discriminator=trainer.D,
            )  # fmt: skip
        values = result["values"]
        improved = False
        if t.best_metric:
            value = values[t.best_metric]
            improved = is_better(t.best_metric, value, self.best["value"] if self.best else None)
            if improved:
                self.best = {"metric": t.best_metric, "value": value, "step": trainer.step}
        record: dict[str, Any] = {"step": trainer.step, "event": "eval", "split": "val", "n": t.eval_n, "values": values}
        if t.best_metric:
            record["best"] = dict(self.best) if self.best else None
        self.write(record)
        return improved

    def checkpoint(self, trainer: Trainer) -> None:
        t = self.cfg.train
        improved = bool(t.eval_every) and trainer.step % t.eval_every == 0 and self.evaluate(trainer)
        folder = self.out / "checkpoints"
        path = checkpoint_path(folder, trainer.step)
        state = trainer.state_dict()
        state.update(
            config=to_dict(self.cfg), log_lines=self.records.lines, ganlab_version=ganlab.__version__,
            best=self.best, rollbacks=self.rollbacks, lr_scale=self.lr_scale,
        )  # fmt: skip
        _fsync(self.records.path)  # the log lines this checkpoint counts reach the disk before it does
        data = save_checkpoint(state, path)
        if improved:
            # after the step checkpoint: a crash in between leaves a checkpoint whose ``best``
            # names its own step, and resume() writes best.pt from it
            atomic_write_bytes(folder / BEST, data)
        prune(folder, t.keep_checkpoints, protect=(path,))

    def restore(self, state: dict | None) -> None:
        """Cut the run folder back to what ``state`` knew (None: the start of the run): the log,
        newer sample grids and checkpoints that did not load; best.pt when it names this step."""
        step = int(state["step"]) if state else 0
        lines = int(state.get("log_lines", 0)) if state else 0
        _truncate_log(self.records.path, lines)
        self.records = JsonlLog(self.records.path)
        for p in (self.out / "samples").glob("step_*.png"):
            m = _SAMPLE_NAME.match(p.name)
            if m and int(m.group(1)) > step:
                p.unlink(missing_ok=True)  # from steps that will be trained again
        folder = self.out / "checkpoints"
        for bad in set_aside_newer(folder, step):
            print(f"warning: set aside {bad.name}: it did not load", file=sys.stderr)
        best = state.get("best") if state else None
        if best and best.get("step") == step:
            path = checkpoint_path(folder, step)
            if path.is_file():
                atomic_write_bytes(folder / BEST, path.read_bytes())
        if state is not None:
            self.best = best if best and best.get("metric") == self.cfg.train.best_metric else None
            self.rollbacks = int(state.get("rollbacks", 0))
            self.lr_scale = float(state.get("lr_scale", 1.0))


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # no log yet
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync; the checkpoint is still written atomically
    finally:
        os.close(fd)


def _truncate_log(path: Path, lines: int) -> None:
    """Keep the first ``lines`` records of a JSON-lines file, atomically (a kill while cutting
    the log must not lose it)."""
    if not path.exists():
        if lines:
            print(f"warning: {path} is missing; its first {lines} records are lost", file=sys.stderr)
        return
    kept = path.read_bytes().splitlines(keepends=True)[:lines]
    if len(kept) < lines:
        print(f"warning: {path} holds {len(kept)} of the {lines} records the checkpoint knew", file=sys.stderr)
    atomic_write_bytes(path, b"".join(kept))


@contextlib.contextmanager
def _training_rng_kept(device: torch.device) -> Iterator[None]:
    """Run an evaluation without moving the training's global random streams, so that a run
    with evaluations trains exactly as one without them."""
    cpu = torch.get_rng_state()
    np_state = np.random.get_state()
    py_state = random.getstate()
    cuda = torch.cuda.get_rng_state_all() if device.type == "cuda" else None
    try:
        yield
    finally:
        torch.set_rng_state(cpu)
        np.random.set_state(np_state)
        random.setstate(py_state)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


def save_samples(G: nn.Module, z: torch.Tensor, dataset: Dataset, path: Path, title: str | None = None) -> None:
    with frozen_eval(G), torch.no_grad():
        x = G(z).cpu()
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


def set_learning_rates(trainer: Trainer, cfg: Config, scale: float) -> None:
    """The configured learning rates (and Adam betas) times ``scale``. Called after loading a
    checkpoint, whose optimiser state would otherwise bring back the rates it was saved with:
    a rollback lowers them, and a resume with --force may change them."""
    t = cfg.train
    for opt, lr, betas in ((trainer.opt_d, t.lr_d, t.betas_d), (trainer.opt_g, t.lr_g, t.betas_g)):
        for group in opt.param_groups:
            group["lr"] = lr * scale
            if "betas" in group:
                group["betas"] = tuple(betas)


def _roll_back(trainer: Trainer, hooks: RunHooks, err: DivergenceError) -> None:
    """Reload the newest good checkpoint (or the starting state) with both learning rates
    multiplied by train.rollback_lr_factor, and log it."""
    t = hooks.cfg.train
    if hooks.rollbacks >= t.max_rollbacks:
        if not t.max_rollbacks:
            raise err
        raise GanlabError(
            f"training diverged again: {err.term} is NaN or Inf at step {err.step}, after {hooks.rollbacks} rollback(s)",
            "the last good checkpoint is untouched; lower train.lr_d / train.lr_g, add a penalty, or raise train.max_rollbacks",
        )
    found = latest_checkpoint(hooks.out / "checkpoints", trainer.device)
    state = found[0] if found is not None else hooks.origin
    if state is None:
        raise err
    rollbacks, scale = hooks.rollbacks + 1, hooks.lr_scale * t.rollback_lr_factor
    trainer.load_state_dict(state)
    trainer.stop_requested = False
    hooks.restore(state if found is not None else None)
    hooks.rollbacks, hooks.lr_scale = rollbacks, scale
    set_learning_rates(trainer, hooks.cfg, scale)
    lr_d, lr_g = trainer.opt_d.param_groups[0]["lr"], trainer.opt_g.param_groups[0]["lr"]
    hooks.write({"step": trainer.step, "event": "rollback", "diverged_at": err.step, "term": err.term,
                 "rollback": rollbacks, "lr_d": lr_d, "lr_g": lr_g})  # fmt: skip
    print(
        f"warning: {err.term} is NaN or Inf at step {err.step}; rolled back to step {trainer.step} with lr_d={lr_d:.3g}, "
        f"lr_g={lr_g:.3g} (rollback {rollbacks} of at most {t.max_rollbacks})",
        file=sys.stderr,
    )


def _fit(trainer: Trainer, hooks: RunHooks, cfg: Config, quiet: bool) -> bool:
    from tqdm import tqdm

    disable = quiet or not cfg.train.progress
    bar = tqdm(total=cfg.train.steps, initial=trainer.step, desc="train", unit="step", disable=disable, file=sys.stderr, dynamic_ncols=True)
    with bar as pbar:
        hooks.pbar = pbar
        with _stop_on_signals(trainer):
            while True:
                try:
                    return trainer.fit(cfg.train.steps, hooks)
                except DivergenceError as err:
                    if cfg.train.on_divergence != "rollback":
                        raise
                    _roll_back(trainer, hooks, err)
                    pbar.n = trainer.step
                    pbar.refresh()


def _finish(trainer: Trainer, hooks: RunHooks, dataset: Dataset, game: Game, out: Path) -> dict:
    hooks.sample(trainer, out / "samples.png")
    plots.save_loss_curves(read_jsonl(out / "log.jsonl"), out / "losses.png", title=f"{out.name}: {game.describe()}")
    metrics = final_metrics(trainer.G_eval, trainer.D, dataset, seed=trainer.cfg.seed, device=trainer.device)
    metrics["step"] = trainer.step
    from ganlab.metrics.evaluate import to_json

    atomic_write_bytes(out / "metrics.json", to_json(metrics).encode())  # strict JSON: NaN becomes null
    return metrics


def final_metrics(G: nn.Module, D: nn.Module, dataset: Dataset, seed: int = 0, device: str | torch.device = "cpu") -> dict:
    """The end-of-run evaluation written to metrics.json (EMA generator against the test split)."""
    from ganlab.metrics import default_metrics, evaluate

    return evaluate(G, dataset, metrics=default_metrics(dataset), split="test", seed=seed, discriminator=D, device=str(device))


def _write_config(cfg: Config, out: Path) -> None:
    # atomic: a kill while resuming must not leave a run whose config cannot be read
    atomic_write_bytes(out / "config.yaml", yaml.safe_dump(to_dict(cfg), sort_keys=False).encode())


def train(
    cfg: Config,
    out: str | Path | None = None,
    *,
    overwrite: bool = False,
    quiet: bool = False,
) -> Path:
    """Start a run in ``out`` (default ``runs/DATA-OBJECTIVE-TIME``) and train it to the end."""
    info = distributed.from_env()
    if info.enabled and out is None:
        raise GanlabError("a run on several processes needs an explicit --out", "pass --out DIR (the same on every process)")
    out = Path(out) if out is not None else default_out(cfg)
    dataset, game, G, D = build(cfg)
    check(cfg, dataset)
    trainer = Trainer(G, D, game, dataset.train, cfg.train, dist=info)
    if info.is_main:
        _prepare_folder(out, overwrite)
        _write_config(cfg, out)
    distributed.barrier(info)
    hooks = RunHooks(out, cfg, dataset)
    if cfg.train.on_divergence == "rollback":
        hooks.origin = copy.deepcopy(trainer.state_dict())  # no checkpoint yet to roll back to
    return _run_to_end(trainer, hooks, cfg, dataset, game, out, quiet)


def _run_to_end(trainer: Trainer, hooks: RunHooks, cfg: Config, dataset: Dataset, game: Game, out: Path, quiet: bool) -> Path:
    """Train, then (rank 0) write the final samples, curves and metrics."""
    info = trainer.dist
    finished = _fit(trainer, hooks, cfg, quiet or not info.is_main)
    if info.is_main:
        if not finished:
            _say_stopped(out, trainer)
        else:
            _finish(trainer, hooks, dataset, game, out)
    distributed.barrier(info)
    distributed.shutdown()
    return out


def _say_stopped(out: Path, trainer: Trainer) -> None:
    # printed even with --quiet: it is the only word on how to continue
    print(f"stopped at step {trainer.step}; checkpoint saved. Resume with: ganlab train --resume {out}", file=sys.stderr)


def resume(run: str | Path, overrides: Sequence[str] = (), *, force: bool = False, quiet: bool = False) -> Path:
    """Continue a run from its newest valid checkpoint, exactly as if never interrupted.

    A run killed before its first checkpoint starts again from step 0 in its folder.
    """
    out = Path(run)
    if not (out / "config.yaml").is_file():
        raise GanlabError(f"{out} is not a ganlab run folder (no config.yaml)", "pass the folder a previous `ganlab train` wrote")
    saved = load_yaml(out / "config.yaml")
    cfg = make_config(base=saved, overrides=overrides)
    folder = out / "checkpoints"
    found = latest_checkpoint(folder)
    if found is None:
        existing = list_checkpoints(folder)
        if existing:
            raise GanlabError(
                f"none of the {len(existing)} checkpoints of {out} loads (e.g. {existing[-1][1].name})",
                f"start the run again with `ganlab train --overwrite --out {out}`",
            )
        state, before = None, to_dict(make_config(base=saved))
        print(f"warning: {out} has no checkpoint yet; training it from step 0", file=sys.stderr)
    else:
        state, path, skipped = found
        before = state["config"]
        for w in skipped:
            print(f"warning: {w}", file=sys.stderr)
    changed = [k for k in diff(before, to_dict(cfg)) if k not in RESUMABLE_CHANGES]
    if changed and not force:
        raise GanlabError(
            f"resuming {out} with a changed config ({', '.join(changed)})",
            "resume with the original settings, or pass --force to continue with the new ones",
        )
    dataset, game, G, D = build(cfg)
    check(cfg, dataset)
    info = distributed.from_env()
    trainer = Trainer(G, D, game, dataset.train, cfg.train, dist=info)
    if state is not None:
        try:
            trainer.load_state_dict(state)
        except (RuntimeError, KeyError, ValueError, TypeError) as err:
            raise GanlabError(
                f"checkpoint {path} does not fit this config ({str(err).splitlines()[0][:120]})",
                "resume with the config the run was made with",
            ) from None
    hooks = RunHooks(out, cfg, dataset, state)
    if info.is_main:  # rank 0 alone touches the folder: cut logs and samples back, rewrite the config
        (out / "samples").mkdir(exist_ok=True)
        hooks.restore(state)
        _write_config(cfg, out)
    distributed.barrier(info)
    set_learning_rates(trainer, cfg, hooks.lr_scale)
    if cfg.train.on_divergence == "rollback" and state is None:
        hooks.origin = copy.deepcopy(trainer.state_dict())
    if trainer.step >= cfg.train.steps:
        if not quiet and info.is_main:
            print(f"{out} already reached step {trainer.step}; raise train.steps to train further", file=sys.stderr)
        if info.is_main:
            _finish(trainer, hooks, dataset, game, out)
        distributed.shutdown()
        return out
    return _run_to_end(trainer, hooks, cfg, dataset, game, out, quiet)


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
