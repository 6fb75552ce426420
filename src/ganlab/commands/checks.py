"""Checks of command-line arguments, shared by the sub-commands, made before any work starts.

Every refusal is a one-line GanlabError naming the flag: a count that must be positive, a
device that does not exist, an output path whose folder is missing or not writable, whose
suffix the command cannot write, that is a folder, or that would overwrite a run's own files;
an input file that is missing or carries a pickle that could run code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from ganlab.errors import GanlabError

_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?|mps|auto)$")
_RUN_FILES = ("config.yaml", "log.jsonl", "metrics.json", "samples.png", "losses.png", "summary.json", "summary.md", ".lock")


def at_least(value: int | float | None, low: int, flag: str) -> None:
    if value is not None and value < low:
        raise GanlabError(f"{flag} must be at least {low}, got {value}", f"pass {flag} {low} or more")


def device(text: str, flag: str = "--device") -> None:
    """A device torch can use here: cpu, cuda[:N] (when present), mps (when present)."""
    import torch

    if not _DEVICE.match(text):
        raise GanlabError(f"unknown {flag} {text[:40]!r}", "use cpu, cuda, cuda:N or mps")
    if text.startswith("cuda"):
        index = int(text.split(":")[1]) if ":" in text else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise GanlabError(f"{flag} {text}: this machine has {torch.cuda.device_count()} CUDA GPU(s)", "use --device cpu")
    if text == "mps" and not torch.backends.mps.is_available():
        raise GanlabError(f"{flag} mps: no Apple GPU is available", "use --device cpu")


def _writable_folder(folder: Path, flag: str, path: Path) -> None:
    """The nearest existing ancestor of ``folder`` is a writable folder (what is missing can be made)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise GanlabError(f"{flag} {path}: {probe} is not a folder", f"choose another {flag}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise GanlabError(f"{flag} {path}: {probe} is not writable", f"choose another {flag}")


def _not_a_run_file(path: Path, flag: str) -> None:
    from ganlab.train.folder import RunFolder

    parent = path.parent
    inside = next((p for p in (parent, parent.parent) if RunFolder(p).is_run()), None)
    if inside is not None and (path.name in _RUN_FILES or parent.name in ("checkpoints", "samples")):
        raise GanlabError(f"{flag} {path} would overwrite a file of the run {inside}", f"choose a {flag} outside the run's own files")


def output_file(text: str | os.PathLike, flag: str, suffixes: Iterable[str], *, make_parents: bool = False) -> Path:
    """``--out FILE``: a suffix the command writes, not a folder nor a run's own file, in a
    folder that exists (or can be made, when ``make_parents``) and is writable."""
    path = Path(text)
    allowed = tuple(suffixes)
    if path.is_dir():
        raise GanlabError(f"{flag} {path} is a folder", f"pass a file name ending with {', '.join(allowed)}")
    if path.suffix.lower() not in allowed:
        raise GanlabError(f"{flag} {str(path)[:80]}: unknown suffix {path.suffix or '(none)'!r}", f"end it with {', '.join(allowed)}")
    parent = path.parent
    if not make_parents and not parent.is_dir():
        raise GanlabError(f"{flag} {path}: the folder {parent} does not exist", "create it first, or choose another path")
    _writable_folder(parent, flag, path)
    if path.exists() and not os.access(path, os.W_OK):
        raise GanlabError(f"{flag} {path} is not writable", f"choose another {flag}")
    _not_a_run_file(path, flag)
    return path


def output_folder(text: str | os.PathLike, flag: str = "--out") -> Path:
    """``--out DIR``: a folder (or one that can be made) that is writable and not a run folder."""
    from ganlab.train.folder import RunFolder

    path = Path(text)
    if path.exists() and not path.is_dir():
        raise GanlabError(f"{flag} {path} is a file, not a folder", f"choose another {flag}")
    if RunFolder(path).is_run():
        raise GanlabError(f"{flag} {path} is a training run's folder", f"choose another {flag}; runs keep their own files")
    _writable_folder(path, flag, path)
    return path


def input_file(text: str | os.PathLike, flag: str) -> Path:
    """An existing, readable file."""
    path = Path(text)
    if not path.is_file():
        raise GanlabError(f"{flag} {path} {'is a folder' if path.is_dir() else 'does not exist'}", "check the path")
    if not os.access(path, os.R_OK):
        raise GanlabError(f"{flag} {path} is not readable", "check its permissions")
    return path


def torch_file(text: str | os.PathLike, flag: str) -> Path:
    """An existing torch file whose pickle imports nothing but tensors (``serial.refuse_code``):
    judged on the file, before anything loads it."""
    from ganlab.serial import refuse_code

    path = input_file(text, flag)
    refuse_code(path, flag)
    return path
