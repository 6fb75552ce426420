"""Files ganlab writes and reads back: one JSON convention, atomic writes.

The convention, everywhere (log.jsonl, metrics.json, result.json, summaries): strict JSON, a
non-finite number (NaN, ±inf) is written as ``null`` — every JSON reader accepts the file, and
"no value" is what a diverged or undefined metric has. numpy scalars and tuples become plain
JSON values. A file is written to a temporary name, fsynced and renamed over the target, so a
crash leaves the old file or the new one, never half of one.

YAML is read by ``load_yaml_text``: safe types only, no anchors or aliases (an alias bomb
expands a few hundred bytes into gigabytes), no duplicate keys (the last one would win
silently), at most ``YAML_DEPTH`` levels of nesting. ``carries_code`` tells whether a pickle
(a torch file a weights-only load refused) would import anything beyond tensors; ``refuse_code``
turns that into the one-line refusal every loader of a user-given torch file gives first.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickletools
import re
import zipfile
from pathlib import Path
from typing import Any

import yaml

from ganlab.errors import GanlabError

YAML_DEPTH = 64  # nesting a config never needs; deeper is refused before Python's recursion limit


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
    try:
        data = p.read_bytes()
    except OSError as err:  # a folder in the file's place, no permission, an I/O error
        raise GanlabError(f"cannot read {p}: {err.strerror or type(err).__name__}", "check the file, or remove it") from None
    out = []
    for line in data.splitlines():
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


class YamlRefused(yaml.YAMLError):
    """YAML that parses but that ganlab refuses to read: an alias, a duplicate key, too deep."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlRefused(f"anchors and aliases (&{_cut(str(event.anchor))}, *…) are not accepted", event.start_mark)
        self._depth += 1
        try:
            if self._depth > YAML_DEPTH:
                raise YamlRefused(f"it nests deeper than {YAML_DEPTH} levels", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeLoader's own error says so
                break
            if duplicate:
                raise YamlRefused(f"key {_cut(repr(key))} appears twice in one mapping", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a value referenced twice is written twice: what ganlab writes, it reads back


def dump_yaml(obj: Any) -> str:
    """YAML text of plain values, keys in their order and without anchors, so that
    ``load_yaml_text`` reads back whatever ganlab writes."""
    return yaml.dump(obj, Dumper=_PlainDumper, sort_keys=False)


def load_yaml_text(text: str) -> Any:
    """The value of a YAML document, read safely and strictly (see the module's docstring);
    raises ``yaml.YAMLError`` (``YamlRefused`` for what parses but is refused)."""
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


_SAFE_GLOBAL = re.compile(
    r"^(torch\._utils\._rebuild_\w+|collections\.OrderedDict|torch\.(Size|device|dtype|\w*Storage|bfloat16|float\d*|half|double"
    r"|u?int\d+|long|short|bool|complex\d+|cfloat|cdouble)|torch\._tensor\._rebuild_from_type_v2|builtins\.(set|frozenset|bytearray))$"
)


def _globals_of(stream: Any) -> list[str]:
    """Names a pickle imports (GLOBAL, STACK_GLOBAL, INST), read opcode by opcode, never executed."""
    names, strings, memo = [], [], {}
    for op, arg, _ in pickletools.genops(stream):
        if op.name in ("GLOBAL", "INST"):
            names.append(str(arg).replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            names.append(".".join(strings[-2:]) if len(strings) >= 2 else "?")
        elif isinstance(arg, str) and "UNICODE" in op.name:
            strings.append(arg)
        elif op.name in ("BINPUT", "LONG_BINPUT", "PUT") and strings:
            memo[arg] = strings[-1]
        elif op.name == "MEMOIZE" and strings:
            memo[len(memo)] = strings[-1]
        elif op.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
            strings.append(memo[arg])
        if op.name == "STOP":
            break
    return names


def carries_code(path: str | Path) -> list[str] | None:
    """What a torch file's pickle imports beyond tensors and plain containers (non-empty: the file
    could run code when unpickled); None when its pickle stream does not even parse (a corrupt
    file). Reads a torch zip archive's data.pkl, or the first pickles of a legacy file; judges
    the file itself, never the wording of an unpickler's error."""
    p = Path(path)
    try:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                member = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
                if member is None:
                    return None
                streams = [io.BytesIO(z.read(member))]
                limit = 1
        else:
            streams = [p.open("rb")]
            limit = 5  # magic number, protocol, system info, the object, its storage keys
    except (OSError, zipfile.BadZipFile, ValueError):
        return None
    found: list[str] = []
    with streams[0] as stream:
        for k in range(limit):
            if k and not stream.read(1):
                break
            if k:
                stream.seek(-1, io.SEEK_CUR)
            try:
                found += _globals_of(stream)
            except (ValueError, EOFError, UnicodeDecodeError, KeyError, OverflowError):
                if not k:
                    return None
                break
    return [n for n in dict.fromkeys(found) if not _SAFE_GLOBAL.match(n)]


def refuse_code(path: str | Path, what: str) -> None:
    """A one-line refusal when torch file ``path`` (``what`` names it: a flag, "Inception
    weights") carries a pickle that could run code (``carries_code``), judged before anything
    unpickles it."""
    found = carries_code(path)
    if found:
        raise GanlabError(f"refusing to load {what} {path}: the file could run code (it imports {', '.join(found[:3])[:80]})",
                          "only load files written by ganlab or torch.save of plain tensors")  # fmt: skip
