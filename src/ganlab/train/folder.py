"""The layout of a run folder: the only code that knows its file names.

    config.yaml        the resolved config (written first, checked again on resume)
    log.jsonl          named loss terms, evaluations and rollbacks, one JSON record a line
    checkpoints/       step_*.pt (the newest train.keep_checkpoints) and best.pt
    samples/           step_*.png sample grids along training
    samples.png        losses.png  metrics.json   at the end of the run
    .lock              the writer's lock (``ganlab.train.lock``): the PID of the process training it

A run folder is built under a temporary sibling ``.NAME.new-PID`` and renamed into place
(``build_atomically``), so a kill leaves it absent or complete; a resume deletes every
temporary file a killed atomic write left anywhere in it (``clean_partials``).

A group of runs (``train.runs = N``) is a folder with the group's config.yaml, a summary over
its runs (summary.json, summary.md) and one ordinary run folder per seed, ``seed-S/``, whose
config is the group's with ``train.runs = 1`` and ``train.seed = S``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganlab.config import load_yaml
from ganlab.errors import GanlabError
from ganlab.serial import atomic_write_bytes, dump_yaml, read_json, write_json
from ganlab.train import checkpoint as ckpt
from ganlab.train.lock import FolderLock, lock_folder, try_lock

_SAMPLE_NAME = re.compile(r"^step_(\d{8})\.png$")
_PARTIAL = re.compile(r"^\..+\.tmp-\d+$")  # what serial.atomic_write_bytes leaves behind when killed mid-write
_SIBLING = re.compile(r"^\.(.+)\.(new|old)-\d+$")  # a folder being built, or a replaced one being deleted


def _clear_stale_siblings(path: Path) -> None:
    """Delete what killed builds of ``path`` left beside it (``.NAME.new-PID``, ``.NAME.old-PID``):
    one whose lock nobody holds belongs to a dead process."""
    if not path.parent.is_dir():
        return
    for p in path.parent.iterdir():
        m = _SIBLING.match(p.name)
        if not (m and m.group(1) == path.name and p.is_dir()):
            continue
        lock = try_lock(p) if (p / ".lock").exists() else None
        if lock is not None or not (p / ".lock").exists():
            shutil.rmtree(p, ignore_errors=True)
        if lock is not None:
            lock.release()


def build_atomically(path: str | Path, overwrite: bool, fill: Callable[[Path], None]) -> FolderLock:
    """Create the folder ``path`` complete or not at all: ``fill`` writes its contents under a
    temporary sibling ``.NAME.new-PID`` (locked from the start), which is then renamed to
    ``path``. A folder it replaces (``overwrite``) is locked first — refused while another
    process holds it — renamed aside and deleted after. A kill at any moment leaves ``path``
    absent, the old folder, or the new one complete; leftovers beside it are cleared by the
    next build. Returns the lock of the new folder, held."""
    path = Path(path)
    old_lock = lock_folder(path) if overwrite and path.is_dir() and any(path.iterdir()) else None
    tmp = path.parent / f".{path.name}.new-{os.getpid()}"
    lock: FolderLock | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _clear_stale_siblings(path)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        lock = lock_folder(tmp)
        fill(tmp)
        if old_lock is not None:
            aside = path.parent / f".{path.name}.old-{os.getpid()}"
            path.replace(aside)
            tmp.replace(path)
            old_lock.release()
            shutil.rmtree(aside, ignore_errors=True)
        else:
            try:
                tmp.replace(path)  # replaces an empty folder, refuses a non-empty one
            except OSError:
                raise GanlabError(f"output folder {path} already exists",
                                  f"resume it with `ganlab train --resume {path}`, or choose another --out") from None  # fmt: skip
    except OSError as err:
        if lock is not None:
            lock.release()
        shutil.rmtree(tmp, ignore_errors=True)
        raise GanlabError(f"cannot create output folder {path}: {err.strerror or err}", "choose a writable --out") from None
    except BaseException:
        if lock is not None:
            lock.release()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old_lock is not None:
            old_lock.release()
    lock.folder = path
    return lock


def clean_partials(folder: str | Path) -> list[Path]:
    """Delete the temporary files atomic writes leave when killed (``.NAME.tmp-PID``), anywhere
    in ``folder``; only the holder of its lock may call it. Returns what was deleted."""
    gone = []
    for root, _, files in os.walk(folder):
        for name in files:
            if _PARTIAL.match(name):
                p = Path(root) / name
                with contextlib.suppress(OSError):
                    p.unlink()
                    gone.append(p)
    return gone


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
        probe = out.parent
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
            raise GanlabError(f"cannot create output folder {out}: {probe} is {'not writable' if probe.is_dir() else 'not a folder'}",
                              "choose another --out")  # fmt: skip
        if out.exists() and any(out.iterdir()) and not self.abandoned():
            if not overwrite:
                raise GanlabError(
                    f"output folder {out} already exists",
                    f"resume it with `ganlab train --resume {out}`, pass --overwrite to replace it, or choose another --out",
                )
            if not self.is_run():
                raise GanlabError(f"refusing to overwrite {out}: it is not a ganlab run folder", "choose another --out")

    def abandoned(self) -> bool:
        """A folder an older ganlab began and was killed while making: empty sub-folders, no config."""
        entries = list(self.path.iterdir()) if self.path.is_dir() else []
        return bool(entries) and not self.is_run() and all(
            p.name == ".lock" or (p.name in ("checkpoints", "samples") and p.is_dir() and not any(p.iterdir())) for p in entries
        )

    def create(self, overwrite: bool, config: dict) -> FolderLock:
        """A new run folder holding ``config`` and its empty sub-folders (replacing a previous run
        when ``overwrite``), created atomically (``build_atomically``); returns its lock, held."""
        self.check_new(overwrite)
        if self.abandoned():
            with lock_folder(self.path):
                shutil.rmtree(self.path)

        def fill(tmp: Path) -> None:
            new = RunFolder(tmp)
            new.write_config(config)
            new.checkpoints.mkdir()
            new.samples_dir.mkdir()

        return build_atomically(self.path, overwrite, fill)

    def lock(self) -> FolderLock:
        """The folder's lock for a resume; a run of a group locks its group (the group trains it)."""
        parent = GroupFolder(self.path.parent)
        return lock_folder(parent.path, "group folder") if parent.is_group() else lock_folder(self.path)

    def make_dirs(self) -> None:
        """The sub-folders a resume writes into (a folder from an older ganlab may lack them)."""
        try:
            self.checkpoints.mkdir(exist_ok=True)
            self.samples_dir.mkdir(exist_ok=True)
        except OSError as err:
            raise GanlabError(f"cannot write into {self.path}: {err.strerror or err}", "check its permissions") from None

    def write_config(self, cfg: dict) -> None:
        # atomic: a kill while resuming must not leave a run whose config cannot be read
        atomic_write_bytes(self.config, dump_yaml(cfg).encode())

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
