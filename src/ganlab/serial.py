"""Files ganlab writes and reads back: one JSON convention, atomic writes.

The convention, everywhere (log.jsonl, metrics.json, result.json, summaries): strict JSON, a
non-finite number (NaN, ±inf) is written as ``null`` — every JSON reader accepts the file, and
"no value" is what a diverged or undefined metric has. numpy scalars and tuples become plain
JSON values. A file is written to a temporary name, fsynced and renamed over the target, so a
crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from ganlab.errors import GanlabError


def plain(obj: Any) -> Any:
    """``obj`` as JSON values: NaN/inf → None, numpy scalars → Python numbers, tuples → lists."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    item = getattr(obj, "item", None)
    if item is not None and getattr(obj, "shape", None) == ():  # numpy or torch scalar
        obj = item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj: Any, *, indent: int | None = 2, ascii_only: bool = True) -> str:
    """Strict JSON text of ``obj`` (non-finite numbers as null); ``ascii_only=False`` keeps θ, φ, … as they are."""
    return json.dumps(plain(obj), indent=indent, allow_nan=False, default=str, ensure_ascii=ascii_only)


def atomic_write_bytes(path: str | Path, data: bytes, what: str = "file") -> None:
    """Write ``data`` to ``path`` via a temporary file + fsync + rename (+ fsync of the folder);
    a failure says that the previous ``what`` (file, checkpoint, …) is intact."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise GanlabError(
            f"could not write {path}: {err.strerror or err}",
            f"free disk space or choose another --out folder; the previous {what} is intact",
        ) from None
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the rename itself is still atomic


def write_json(path: str | Path, obj: Any) -> None:
    """``obj`` as strict JSON at ``path``, atomically."""
    atomic_write_bytes(path, (dumps(obj) + "\n").encode())


def jsonl_line(record: dict[str, Any]) -> str:
    """One JSON-lines record (no newline), strict JSON."""
    return dumps(record, indent=None)


def read_json(path: str | Path) -> Any:
    """A JSON file; unreadable, non-UTF-8 or invalid text is a one-line error naming the file."""
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GanlabError(f"{p} does not exist", "check the path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GanlabError(f"{p} is not a readable JSON file ({type(err).__name__})", "regenerate it, or pass another file") from None


def read_jsonl(path: str | Path) -> list[dict]:
    """All records of a JSON-lines file; a torn or garbled line (a crash mid-write, a foreign
    file) is skipped, and a missing file has no records."""
    p = Path(path)
    if not p.exists():
        return []
    out = []
    for line in p.read_bytes().splitlines():
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(record, dict):
            out.append(record)
    return out
