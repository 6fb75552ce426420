"""Checkpoints: written atomically, loaded without executing code, checked for their schema and checksum.

A checkpoint is a ``torch.save`` of plain containers and tensors only, so it loads with
``torch.load(weights_only=True)``: a file carrying a pickle that would run code is refused.
It is written to a temporary file in the same folder, fsynced, then renamed over the target,
so a crash or a full disk leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
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
from ganlab.serial import atomic_write_bytes, carries_code

SCHEMA = 1  # bump when the layout of a checkpoint changes
_NAME = re.compile(r"^step_(\d{8})\.pt$")
_PARTIAL = re.compile(r"^\..+\.tmp-\d+$")  # what atomic_write_bytes leaves behind when killed mid-write
BEST = "best.pt"  # the best checkpoint by train.best_metric; its name keeps it out of pruning

DIGEST = "sha256"  # the key of the payload's checksum inside a checkpoint


def _feed(h: Any, obj: Any) -> None:
    """Feed ``obj`` to the hash ``h`` canonically: every container's shape and keys, every
    tensor's dtype, shape and raw bytes, every other leaf's repr (exact for floats)."""
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(obj, dict):
        h.update(f"D{len(obj)}".encode())
        for k, v in obj.items():
            _feed(h, k)
            _feed(h, v)
    elif isinstance(obj, (list, tuple)):
        h.update(f"{'L' if isinstance(obj, list) else 'U'}{len(obj)}".encode())
        for v in obj:
            _feed(h, v)
    else:
        h.update(f"{type(obj).__name__}:{obj!r};".encode())


def digest(state: dict[str, Any]) -> str:
    """sha256 of a checkpoint's payload (everything but the digest itself), as hex."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in state.items() if k != DIGEST})
    return h.hexdigest()


def save_checkpoint(state: dict[str, Any], path: str | Path) -> bytes:
    """Serialise ``state`` (plain containers and tensors) atomically, stamped with the schema
    and the sha256 of its payload (``digest``, verified on load: torch.load checks no CRC, so
    a flipped bit would otherwise load silently); returns the bytes written, so that a copy
    (best.pt) costs no second serialisation."""
    payload = {"schema": SCHEMA, **state}
    payload[DIGEST] = digest(payload)
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    atomic_write_bytes(path, data, what="checkpoint")
    return data


def _unpickling_reason(path: Path) -> tuple[bool, str]:
    """(whether the file carries code to run, what it imports) for a file torch's weights-only
    unpickler refused — judged on the file itself, not on torch's wording (``carries_code``)."""
    found = carries_code(path)
    if found is None:
        return False, "its pickle stream does not parse"
    return bool(found), f"it imports {', '.join(found[:3])}" if found else "no code found"


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
    except pickle.UnpicklingError:
        runs_code, reason = _unpickling_reason(path)
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
    stored = state.pop(DIGEST, None)  # checkpoints of ganlab versions before the digest carry none
    if stored is not None and stored != digest(state):
        raise GanlabError(f"checkpoint {path} fails its sha256 checksum (its content changed after it was written)",
                          "delete it and resume from an earlier checkpoint")  # fmt: skip
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
