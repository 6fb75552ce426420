"""The layout of a run folder: the only code that knows its file names.

    config.yaml        the resolved config (written first, checked again on resume)
    log.jsonl          named loss terms, evaluations and rollbacks, one JSON record a line
    checkpoints/       step_*.pt (the newest train.keep_checkpoints) and best.pt
    samples/           step_*.png sample grids along training
    samples.png        losses.png  metrics.json   at the end of the run

A group of runs (``train.runs = N``) is a folder with the group's config.yaml, a summary over
its runs (summary.json, summary.md) and one ordinary run folder per seed, ``seed-S/``, whose
config is the group's with ``train.runs = 1`` and ``train.seed = S``.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from ganlab.config import load_yaml
from ganlab.errors import GanlabError
from ganlab.serial import atomic_write_bytes, read_json, write_json
from ganlab.train import checkpoint as ckpt

_SAMPLE_NAME = re.compile(r"^step_(\d{8})\.png$")


class _In:
    """A path inside the run folder: ``RunFolder(p).log`` is ``p / "log.jsonl"`` (a descriptor)."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __get__(self, folder: RunFolder, owner: type | None = None) -> Path:
        return folder.path.joinpath(*self.parts)


class RunFolder:
    """A run folder's paths, and the operations that keep it consistent."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # --- names (each a path inside the folder) ---------------------------------------------
    config = _In("config.yaml")
    log = _In("log.jsonl")
    metrics = _In("metrics.json")
    checkpoints = _In("checkpoints")
    best = _In("checkpoints", ckpt.BEST)
    samples_dir = _In("samples")
    final_samples = _In("samples.png")
    losses = _In("losses.png")

    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:08d}.png"

    def checkpoint_path(self, step: int) -> Path:
        return ckpt.checkpoint_path(self.checkpoints, step)

    def sample_grids(self) -> list[tuple[int, Path]]:
        """(step, path) of the sample grids along training, oldest first."""
        if not self.samples_dir.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.samples_dir.iterdir() if (m := _SAMPLE_NAME.match(p.name))]
        return sorted(found)

    # --- what is there ----------------------------------------------------------------------
    def is_run(self) -> bool:
        return self.config.is_file()

    def require_run(self) -> None:
        if not self.is_run():
            raise GanlabError(f"{self.path} is not a ganlab run folder (no config.yaml)", "pass the folder a previous `ganlab train` wrote")

    def read_config(self) -> dict:
        return load_yaml(self.config)

    def read_metrics(self) -> dict[str, Any] | None:
        return read_json(self.metrics) if self.metrics.is_file() else None

    # --- writing ----------------------------------------------------------------------------
    def check_new(self, overwrite: bool) -> None:
        """Refuse to start a run in a folder that holds something, unless it is a run to replace."""
        out = self.path
        if out.exists() and not out.is_dir():
            raise GanlabError(f"output folder {out} is a file", "choose another --out")
        if out.exists() and any(out.iterdir()):
            if not overwrite:
                raise GanlabError(
                    f"output folder {out} already exists",
                    f"resume it with `ganlab train --resume {out}`, pass --overwrite to replace it, or choose another --out",
                )
            if not self.is_run():
                raise GanlabError(f"refusing to overwrite {out}: it is not a ganlab run folder", "choose another --out")

    def create(self, overwrite: bool) -> None:
        """An empty run folder with its sub-folders (replacing a previous run when ``overwrite``)."""
        self.check_new(overwrite)
        if self.path.exists() and any(self.path.iterdir()):
            shutil.rmtree(self.path)
        try:
            self.checkpoints.mkdir(parents=True, exist_ok=True)
            self.samples_dir.mkdir(exist_ok=True)
        except OSError as err:
            raise GanlabError(f"cannot create output folder {self.path}: {err.strerror}", "choose a writable --out") from None

    def write_config(self, cfg: dict) -> None:
        # atomic: a kill while resuming must not leave a run whose config cannot be read
        atomic_write_bytes(self.config, yaml.safe_dump(cfg, sort_keys=False).encode())

    def write_metrics(self, result: dict[str, Any]) -> None:
        write_json(self.metrics, result)  # strict JSON: NaN becomes null

    def truncate_log(self, lines: int) -> None:
        """Keep the first ``lines`` records of the log, atomically (a kill while cutting it must not lose it)."""
        path = self.log
        if not path.exists():
            if lines:
                print(f"warning: {path} is missing; its first {lines} records are lost", file=sys.stderr)
            return
        kept = path.read_bytes().splitlines(keepends=True)[:lines]
        if len(kept) < lines:
            print(f"warning: {path} holds {len(kept)} of the {lines} records the checkpoint knew", file=sys.stderr)
        atomic_write_bytes(path, b"".join(kept))

    def cut_back(self, step: int) -> list[Path]:
        """Before resuming from ``step``: delete sample grids of later steps (they will be drawn
        again) and set aside newer checkpoints (ones that did not load). Returns the set-aside files."""
        for s, p in self.sample_grids():
            if s > step:
                p.unlink(missing_ok=True)
        return ckpt.set_aside_newer(self.checkpoints, step)


class GroupFolder:
    """A group of runs: its config, the summary over runs, and one RunFolder per seed."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    config = _In("config.yaml")
    summary = _In("summary.json")
    summary_md = _In("summary.md")

    def run(self, seed: int) -> RunFolder:
        return RunFolder(self.path / f"seed-{seed}")

    def runs(self) -> list[RunFolder]:
        """The run folders inside, by seed."""
        found = [(int(p.name[5:]), RunFolder(p)) for p in self.path.glob("seed-*") if p.name[5:].isdigit() and RunFolder(p).is_run()]
        return [r for _, r in sorted(found, key=lambda t: t[0])]

    def is_group(self) -> bool:
        if not self.config.is_file():
            return False
        try:
            runs = (load_yaml(self.config).get("train") or {}).get("runs", 1)
        except GanlabError:
            return False
        return isinstance(runs, int) and runs > 1

    def read_summary(self) -> dict[str, Any] | None:
        return read_json(self.summary) if self.summary.is_file() else None
