"""Checkpoints: written atomically, loaded without executing code, checked for their schema.

A checkpoint is a ``torch.save`` of plain containers and tensors only, so it loads with
``torch.load(weights_only=True)``: a file carrying a pickle that would run code is refused.
It is written to a temporary file in the same folder, fsynced, then renamed over the target,
so a crash or a full disk leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import io
import math
import pickle
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from ganlab.errors import GanlabError
from ganlab.serial import atomic_write_bytes

SCHEMA = 1  # bump when the layout of a checkpoint changes
_NAME = re.compile(r"^step_(\d{8})\.pt$")
_PARTIAL = re.compile(r"^\..+\.tmp-\d+$")  # what atomic_write_bytes leaves behind when killed mid-write
BEST = "best.pt"  # the best checkpoint by train.best_metric; its name keeps it out of pruning

def save_checkpoint(state: dict[str, Any], path: str | Path) -> bytes:
    """Serialise ``state`` (plain containers and tensors) atomically, stamped with the schema;
    returns the bytes written, so that a copy (best.pt) costs no second serialisation."""
    buf = io.BytesIO()
    torch.save({"schema": SCHEMA, **state}, buf)
    data = buf.getvalue()
    atomic_write_bytes(path, data, what="checkpoint")
    return data


def _unpickling_reason(err: Exception) -> tuple[bool, str]:
    """(whether the file names code to run, the informative part of torch's long message)."""
    text = str(err)
    found = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if found:
        return True, f"it imports {found.group(1)}"
    found = re.search(r"WeightsUnpickler error:\s*([^\n]+)", text)
    return False, (found.group(1) if found else text.strip().split("\n")[0])[:120]


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a ganlab checkpoint safely; any problem is a one-line GanlabError."""
    path = Path(path)
    if not path.is_file():
        raise GanlabError(f"checkpoint {path} does not exist", "check the path; checkpoints live in RUN/checkpoints/")
    try:
        with warnings.catch_warnings():
            # torch warns (on stderr) about pickle protocols it did not write; the file is
            # either loaded or refused below, with one line
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        runs_code, reason = _unpickling_reason(err)
        if runs_code:
            raise GanlabError(
                f"refusing to load {path}: it contains objects that could run code ({reason})",
                "only load checkpoints written by ganlab; re-create this one from a trusted source",
            ) from None
        raise GanlabError(
            f"checkpoint {path} is corrupt or not a torch.save file ({reason})", "delete it and resume from an earlier checkpoint"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError, IndexError, AttributeError, TypeError) as err:
        msg = str(err).split("\n")[0][:120]
        raise GanlabError(f"checkpoint {path} is truncated or corrupt ({msg})", "delete it and resume from an earlier checkpoint") from None
    if not isinstance(state, dict) or "schema" not in state:
        raise GanlabError(f"{path} is not a ganlab checkpoint (no schema stamp)", "pass a file from a run's checkpoints/ folder")
    if state["schema"] != SCHEMA:
        raise GanlabError(
            f"checkpoint {path} has schema {state['schema']}, this ganlab reads schema {SCHEMA}",
            "use the ganlab version that wrote it",
        )
    return state


def checkpoint_path(folder: str | Path, step: int) -> Path:
    return Path(folder) / f"step_{step:08d}.pt"


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of the checkpoints in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def latest_checkpoint(folder: str | Path, map_location: str | torch.device = "cpu") -> tuple[dict[str, Any], Path, list[str]] | None:
    """The newest checkpoint that loads, with warnings about newer ones that did not."""
    skipped: list[str] = []
    for _, path in reversed(list_checkpoints(folder)):
        try:
            return load_checkpoint(path, map_location), path, skipped
        except GanlabError as err:
            skipped.append(f"skipped {path.name}: {err.problem}")
    return None


def set_aside_newer(folder: str | Path, step: int) -> list[Path]:
    """Before resuming from ``step``: rename newer checkpoints (ones that did not load) to
    ``*.pt.bad`` and delete half-written temporary files, so that pruning counts only good
    checkpoints and nothing unreadable is silently overwritten. Returns the renamed files."""
    folder = Path(folder)
    renamed = []
    for s, path in list_checkpoints(folder):
        if s > step:
            bad = path.with_name(path.name + ".bad")
            path.replace(bad)
            renamed.append(bad)
    if folder.is_dir():
        for p in folder.iterdir():
            if _PARTIAL.match(p.name):
                p.unlink(missing_ok=True)
    return renamed


def is_better(value: float, best: float | None, higher: bool) -> bool:
    """Whether ``value`` beats ``best`` (None: nothing yet) when ``higher`` values are better; NaN never does."""
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value > best if higher else value < best


def prune(folder: str | Path, keep: int, protect: tuple[Path, ...] = ()) -> None:
    """Delete all but the newest ``keep`` checkpoints (never those in ``protect``)."""
    found = list_checkpoints(folder)
    for _, path in found[: max(0, len(found) - keep)]:
        if path not in protect:
            path.unlink(missing_ok=True)
