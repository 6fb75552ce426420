"""What a run does in its folder at the trainer's cadences: log, sample, evaluate, checkpoint.

``RunHooks.callbacks()`` gives the ``Every`` callbacks ``Trainer.fit`` calls. Besides the
trainer's own state, a checkpoint holds the run's ``Progress``: how many log records it knew
(``log_lines``), the best evaluation so far (``best``) and the rollbacks done with the
learning-rate scale they left. The evaluation is injected (``Evaluator``): this package does
not know the metrics, only that an evaluation returns ``{"values": {name: float}}``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlab import plots
from ganlab.config import Config, to_dict
from ganlab.errors import GanlabError
from ganlab.nets.modes import frozen_eval
from ganlab.serial import atomic_write_bytes
from ganlab.train.checkpoint import is_better, prune, save_checkpoint
from ganlab.train.folder import RunFolder, clean_partials
from ganlab.train.log import JsonlLog
from ganlab.train.state import rng_kept
from ganlab.train.trainer import Every, Trainer
from ganlab.version import __version__

N_SAMPLES = 64  # images in a sample grid (2-D data: 2,000 points)
N_POINTS = 2000

# (G, D, split, n, seed) -> an evaluation result {"values": {...}, ...}
Evaluator = Callable[[nn.Module, nn.Module, str, int, int], dict[str, Any]]


@dataclasses.dataclass
class Progress:
    """What a checkpoint stores of the run beside the trainer: the best evaluation, the rollbacks."""

    best: dict | None = None  # {"metric", "value", "step"}
    rollbacks: int = 0
    lr_scale: float = 1.0

    @classmethod
    def from_state(cls, state: dict | None, best_metric: str | None) -> Progress:
        state = state or {}
        best = state.get("best")
        # a changed best_metric (a resumable change) starts its own record
        keep = best if best and best.get("metric") == best_metric else None
        return cls(keep, int(state.get("rollbacks", 0)), float(state.get("lr_scale", 1.0)))


CLASS_ROWS = 10  # a conditional grid shows the first 10 classes, one row each


def class_grid_inputs(z: torch.Tensor, n_classes: int, cols: int | None = None) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(z, y, columns) of a class-by-row grid: row c is class c, and column j shares one z in
    every row, so a row shows the class and a column the style the latent carries."""
    rows = min(n_classes, CLASS_ROWS)
    cols = cols or max(1, min(len(z), 8))
    zc = z[:cols]
    return zc.repeat(rows, 1), torch.arange(rows, device=z.device).repeat_interleave(cols), cols


def save_samples(G: nn.Module, z: torch.Tensor, dataset: Any, path: Path, title: str | None = None,
                 labels: torch.Tensor | None = None) -> None:  # fmt: skip
    """A sample grid (images) or a scatter plot with the modes (2-D points) of G(z). A
    class-conditional G draws a class-by-row grid, or the given ``labels`` (all of one class
    for ``ganlab sample --class``)."""
    k = getattr(G, "n_classes", None)
    nrow = None
    args: tuple[torch.Tensor, ...] = (z,)
    if k:
        if labels is None and dataset.kind != "points":
            z, labels, nrow = class_grid_inputs(z, k)
            title = f"{title}: row c is class c" if title else "row c is class c"
        elif labels is None:
            labels = torch.arange(len(z), device=z.device) % k
        args = (z, labels.to(z.device))
    with frozen_eval(G), torch.no_grad():
        x = G(*args).cpu()
    if dataset.kind == "points":
        plots.save_scatter(x, path, dataset.centres, real=dataset.test[:N_POINTS], title=title)
    else:
        plots.save_image_grid(x[: len(x) if nrow else N_SAMPLES], path, nrow=nrow, title=title)


def draw_latent(G: nn.Module, n: int, seed: int) -> torch.Tensor:
    """n latent vectors from a CPU generator seeded with ``seed``: G's own prior when it has one
    (InfoGAN's codes), else N(0, I)."""
    gen = torch.Generator().manual_seed(seed)
    prior = getattr(G, "prior", None)
    return prior(n, gen) if prior is not None else torch.randn(n, G.z_dim, generator=gen)


def _disk_error(path: Path, out: Path, err: OSError) -> GanlabError:
    return GanlabError(
        f"could not write {path}: {err.strerror or err}",
        f"free disk space, then resume with `ganlab train --resume {out}` (the last checkpoint is intact)",
    )


class RunHooks:
    """The callbacks of a run in ``folder``: loss records, sample grids, evaluations on the
    validation split (``evaluator``, ranked by ``best`` = (value name, higher is better)) and
    checkpoints, each at its own cadence of ``cfg.train``."""

    def __init__(
        self,
        folder: RunFolder,
        cfg: Config,
        dataset: Any,
        progress: Progress,
        evaluator: Evaluator | None = None,
        best: tuple[str, bool] | None = None,
    ) -> None:
        self.folder, self.cfg, self.dataset, self.progress = folder, cfg, dataset, progress
        self.evaluator, self.best_rule = evaluator, best
        self.records = JsonlLog(folder.log)
        self.start = time.time()
        self.pbar: Any = None
        self._fixed_z: torch.Tensor | None = None
        self._saved_step = -1  # the step of the newest checkpoint this process wrote
        self.diverged: dict | None = None  # {"term", "step"} of a group's run frozen after diverging

    def callbacks(self) -> list[Every]:
        t = self.cfg.train
        return [
            Every(t.log_every, self.log, at_end=True),
            Every(t.sample_every, self.sample),
            Every(t.eval_every if self.evaluator else 0, self.evaluate, guarded=True),
            Every(t.checkpoint_every, self.checkpoint, at_end=True, on_stop=True, guarded=True),
        ]

    # --- the callbacks ------------------------------------------------------------------------
    def log(self, trainer: Trainer) -> None:
        record = {**trainer.record, "time": round(time.time() - self.start, 3)}
        self.write(record)
        if self.pbar is not None:
            losses = {k.replace("/loss", ""): f"{v:.3g}" for k, v in record.items() if k.endswith("/loss")}
            self.pbar.set_postfix(losses, refresh=False)
            self.pbar.update(trainer.step - self.pbar.n)

    def sample(self, trainer: Trainer, path: Path | None = None) -> Path:
        path = path or self.folder.sample_path(trainer.step)
        try:
            save_samples(trainer.G_eval, self.fixed_z(trainer), self.dataset, path, f"step {trainer.step}")
        except OSError as err:
            raise _disk_error(path, self.folder.path, err) from None
        return path

    def evaluate(self, trainer: Trainer) -> None:
        """Evaluate G on the validation split and log it; a new best is saved as a checkpoint of
        this step at once (and copied to best.pt), so best.pt is always a complete checkpoint."""
        t = self.cfg.train
        with rng_kept(trainer.device):
            result = self.evaluator(trainer.G_eval, trainer.D, "val", t.eval_n, t.seed)
        values = result["values"]
        improved = False
        record: dict[str, Any] = {"step": trainer.step, "event": "eval", "split": "val", "n": t.eval_n, "values": values}
        if self.best_rule is not None:
            name, higher = self.best_rule
            best = self.progress.best
            improved = is_better(values[name], best["value"] if best else None, higher)
            if improved:
                self.progress.best = {"metric": name, "value": values[name], "step": trainer.step}
            record["best"] = dict(self.progress.best) if self.progress.best else None
        self.write(record)
        if improved:
            self.checkpoint(trainer, best=True)

    def checkpoint(self, trainer: Trainer, best: bool = False) -> None:
        if trainer.step == self._saved_step and not best:
            return  # an evaluation that improved saved this step already
        self._saved_step = trainer.step
        path = self.folder.checkpoint_path(trainer.step)
        state = trainer.state_dict()
        state.update(
            config=to_dict(self.cfg), log_lines=self.records.lines, ganlab_version=__version__,
            **dataclasses.asdict(self.progress),
        )  # fmt: skip
        if self.diverged:
            state["diverged"] = self.diverged
        _fsync(self.records.path)  # the log lines this checkpoint counts reach the disk before it does
        data = save_checkpoint(state, path)
        if best:
            # after the step checkpoint: a crash in between leaves a checkpoint whose ``best``
            # names its own step, and restore() writes best.pt from it
            atomic_write_bytes(self.folder.best, data)
        prune(self.folder.checkpoints, self.cfg.train.keep_checkpoints, protect=(path,))

    # --- helpers -----------------------------------------------------------------------------
    def write(self, record: dict[str, Any]) -> None:
        try:
            self.records.write(record)
        except OSError as err:
            raise _disk_error(self.records.path, self.folder.path, err) from None

    def fixed_z(self, trainer: Trainer) -> torch.Tensor:
        if self._fixed_z is None:
            n = N_POINTS if self.dataset.kind == "points" else N_SAMPLES
            self._fixed_z = draw_latent(trainer.G, n, 12345).to(trainer.device)  # fixed, apart from the training streams
        return self._fixed_z

    def restore(self, state: dict | None) -> None:
        """Cut the run folder back to what ``state`` knew (None: the start of the run): the log,
        newer sample grids and checkpoints that did not load; best.pt when it names this step."""
        step = int(state["step"]) if state else 0
        self._saved_step = -1
        self.folder.truncate_log(int(state.get("log_lines", 0)) if state else 0)
        self.records = JsonlLog(self.folder.log)
        for bad in self.folder.cut_back(step):
            print(f"warning: set aside {bad.name}: it did not load", file=sys.stderr)
        clean_partials(self.folder.path)  # temporary files of writes a kill interrupted, anywhere in the folder
        # a kill between writing a checkpoint and pruning leaves one too many: keep_checkpoints holds again
        keep = self.folder.checkpoint_path(step) if state else None
        prune(self.folder.checkpoints, self.cfg.train.keep_checkpoints, protect=(keep,) if keep else ())
        best = state.get("best") if state else None
        if best and best.get("step") == step:
            path = self.folder.checkpoint_path(step)
            if path.is_file():
                atomic_write_bytes(self.folder.best, path.read_bytes())
        if state is not None:
            self.progress = Progress.from_state(state, self.cfg.train.best_metric)


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
