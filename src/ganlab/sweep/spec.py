"""A sweep's SPEC: the typed file, its cells, and every check made before any work.

A SPEC is YAML with the keys of ``SweepSpec``::

    base: configs/ring8.yaml        # a preset (path from the current folder) or a mapping of overrides
    grid:                           # dotted key → list of values: the cells are the cartesian product
      game.objective: [non_saturating, hinge]
      train.lr_d: [2.0e-4, 4.0e-4]
    list:                           # and/or explicit cells, each a mapping of dotted key → value
      - {game.objective: wasserstein, game.penalties: [{name: gp, lam: 10}]}
    seeds: 5                        # runs per cell, trained as one group (train.runs = seeds)
    out: sweeps/ring8               # the sweep folder
    metrics: [modes, hq]            # values to tabulate and plot (default: all the runs report)

With both ``grid`` and ``list`` every list entry is crossed with every grid point. ``plan``
builds each cell's config with ``make_config`` (``train.runs = seeds``, so the settings a group
refuses are refused here), checks each config against its loaded data (``check_data``) and
checks the cells already in the out folder, so that a bad SPEC is one line before any folder
is written.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import hashlib
import itertools
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ganlab.config import Config, check_data, diff, load_yaml, make_config, to_dict
from ganlab.data import load_dataset
from ganlab.errors import GanlabError
from ganlab.metrics import value_names
from ganlab.registry import did_you_mean
from ganlab.serial import YamlRefused, load_yaml_text
from ganlab.train.folder import GroupFolder, RunFolder
from ganlab.typed import build, field, short

_UNSAFE = re.compile(r"[^A-Za-z0-9.+-]+")  # the POSIX portable file name set, less "_" (it joins key and value)
NAME_MAX = 120  # bytes of a cell folder's name; file systems allow 255, and the runs add seed-S/checkpoints/… below it
FORCED = {"train.progress": False}  # workers run side by side: one bar over cells, not one per run
# settings a cell folder may have been made with that change how it runs, never what it computes
# (the sweep's own train.progress, or train.threads of another machine); any other difference refuses the folder
HOW_IT_RUNS = frozenset({"train.threads", "train.progress", "train.keep_checkpoints"})


@dataclasses.dataclass
class SweepSpec:
    # builtins.list: inside this class ``list`` names the field below, not the type
    base: str | dict = dataclasses.field(default_factory=dict)  # a preset YAML (path from the current folder) or inline overrides
    grid: dict | None = None  # dotted key → list of values; the cells are their cartesian product
    list: builtins.list[dict] | None = None  # explicit cells (dotted key → value); crossed with the grid when both are given
    seeds: int = field(5, low=1, high=4096)  # runs per cell, one group; 5 seeds give a 95 % t-interval of ±1.24 std
    out: str | None = None  # the sweep folder; None: sweeps/<SPEC file name>
    metrics: builtins.list[str] | None = None  # values to tabulate and plot; None: every value the runs report


@dataclasses.dataclass
class Cell:
    """One cell: its overrides as the SPEC wrote them, its folder name and its resolved config."""

    name: str
    overrides: dict[str, Any]
    config: Config
    path: Path
    state: str = "new"  # new | resume (a group started) | restart (a folder left before its config) | done


@dataclasses.dataclass
class Plan:
    """A checked sweep: its SPEC, its folder and its cells in SPEC order."""

    spec: SweepSpec
    out: Path
    cells: list[Cell]
    keys: list[str]  # the dotted keys that vary between cells (the table's columns)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and type a SPEC file; any problem is one line."""
    p = Path(path)
    if not p.is_file():
        raise GanlabError(f"sweep SPEC {p} does not exist", "pass the path of a YAML file (see docs/sweeps.md)")
    try:  # the strict loader of configs: no aliases (no bombs), no duplicate keys, bounded depth
        data = load_yaml_text(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise GanlabError(f"cannot read sweep SPEC {p}: {err.strerror or err}", "check the path and its permissions") from None
    except UnicodeDecodeError:
        raise GanlabError(f"sweep SPEC {p} is not UTF-8 text", "pass a YAML file (see docs/sweeps.md)") from None
    except YamlRefused as err:
        raise GanlabError(f"sweep SPEC {p}: {err.problem}", "write every value out in full, each key once") from None
    except yaml.YAMLError:
        raise GanlabError(f"sweep SPEC {p} is not valid YAML", "fix the syntax (indentation, colons, quotes)") from None
    if not isinstance(data, Mapping):
        raise GanlabError(f"sweep SPEC {p} must be a mapping with keys base, grid, list, seeds, out, metrics")
    return build(SweepSpec, data, "sweep")


def cell_overrides(spec: SweepSpec) -> list[dict[str, Any]]:
    """The overrides of every cell: the grid's cartesian product, crossed with the list's entries."""
    if spec.grid is None and spec.list is None:
        raise GanlabError("the SPEC has no cells", "add a grid (dotted key → list of values) or a list of overrides")
    points: list[dict[str, Any]] = [{}]
    if spec.grid is not None:
        if not spec.grid:
            raise GanlabError("sweep.grid is empty", "give it a dotted key with a list of values, e.g. train.lr_d: [2.0e-4, 4.0e-4]")
        for key, values in spec.grid.items():
            _check_key(key, "sweep.grid")
            if not isinstance(values, builtins.list) or not values:
                raise GanlabError(f"sweep.grid.{key} must be a non-empty list of values, got {short(values)}",
                                  f"write it as {key}: [VALUE, …]")  # fmt: skip
        points = [dict(zip(spec.grid, combo)) for combo in itertools.product(*spec.grid.values())]
    entries: builtins.list[dict[str, Any]] = [{}]
    if spec.list is not None:
        if not spec.list:
            raise GanlabError("sweep.list is empty", "give it at least one mapping of overrides, or remove it")
        for i, entry in enumerate(spec.list):
            for key in entry:
                _check_key(key, f"sweep.list[{i}]")
                if spec.grid is not None and key in spec.grid:
                    raise GanlabError(f"{key} is set both in sweep.grid and in sweep.list[{i}]", "set each key in one of them")
        entries = spec.list
    return [{**entry, **point} for entry in entries for point in points]


def _check_key(key: Any, where: str) -> None:
    if not isinstance(key, str) or not all(key.split(".")):
        raise GanlabError(f"{where} has a key {short(key)} that is not a dotted config key", "write keys as section.key, e.g. train.lr_d")


def put(tree: dict, key: str, value: Any) -> None:
    """Set dotted ``key`` in a nested dict of overrides; a mapping merges into a section (except
    an objective's params and metric options, which are replaced whole, as ``make_config`` does)."""
    *parents, last = key.split(".")
    node = tree
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if isinstance(value, Mapping) and isinstance(node.get(last), dict) and last not in ("params", "options"):
        for k, v in value.items():
            put(node[last], str(k), v)
    else:
        node[last] = copy.deepcopy(value)


def base_tree(spec: SweepSpec) -> dict:
    """The SPEC's base as nested overrides (a preset file read, or the inline mapping)."""
    tree: dict = {}
    if isinstance(spec.base, str):
        for k, v in load_yaml(spec.base).items():
            put(tree, str(k), v)
    else:
        for k, v in spec.base.items():
            _check_key(k, "sweep.base")
            put(tree, k, v)
    return tree


def value_text(value: Any) -> str:
    if isinstance(value, (dict, builtins.list)):
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return yaml.safe_dump(value).removesuffix("\n...\n").strip() if isinstance(value, bool) or value is None else str(value)


def cell_names(overrides: builtins.list[dict[str, Any]]) -> builtins.list[str]:
    """A file-system-safe, unique folder name per cell: ``objective-hinge_lr_d-0.0004`` (a key's last
    part, or the whole dotted key where two keys share it; a hash where names would clash)."""
    keys = list(dict.fromkeys(k for o in overrides for k in o))
    lasts = [k.split(".")[-1] for k in keys]
    label = {k: (k if lasts.count(k.split(".")[-1]) > 1 else k.split(".")[-1]) for k in keys}

    def safe(text: str) -> str:
        return _UNSAFE.sub("_", text).strip("_") or "_"  # a leading "-" stays: lr_d--1.0 is not lr_d-1.0

    names = []
    for o in overrides:
        name = "__".join(f"{safe(label[k])}-{safe(value_text(v))}" for k, v in o.items()) or "base"
        names.append(name if name[0].isalnum() else f"x{name}")  # no hidden (.name) or option-like (-name) folders
    out = []
    for name, o in zip(names, overrides):
        if names.count(name) > 1 or len(name.encode()) > NAME_MAX:
            tag = hashlib.sha256(json.dumps(o, sort_keys=True, default=str).encode()).hexdigest()[:8]
            name = f"{name[: NAME_MAX - 9]}-{tag}"
        out.append(name)
    return out


def plan(spec: SweepSpec, spec_path: str | Path, out: str | Path | None = None) -> Plan:
    """Every cell's config and folder state, checked; raises before anything is written."""
    folder = Path(out if out is not None else spec.out if spec.out is not None else Path("sweeps") / Path(spec_path).stem)
    if folder.exists() and not folder.is_dir():
        raise GanlabError(f"sweep folder {folder} is a file", "choose another out")
    known = value_names()
    for m in spec.metrics or ():
        if m not in known:
            raise GanlabError(f'unknown metric value "{short(m, 40).strip(chr(39))}" in sweep.metrics{did_you_mean(str(m), known)}',
                              f"choose among: {', '.join(known)}")  # fmt: skip
    overrides = cell_overrides(spec)
    base = base_tree(spec)
    _no_runs(base, "sweep.base")
    names = cell_names(overrides)
    cells, seen = [], {}
    for name, o in zip(names, overrides):
        mine: dict = {}
        for k, v in o.items():
            put(mine, k, v)
        _no_runs(mine, f"cell {name}")
        tree = copy.deepcopy(base)
        for k, v in o.items():
            put(tree, k, v)
        for k, v in {**FORCED, "train.runs": spec.seeds}.items():
            put(tree, k, v)
        try:
            cfg = make_config(base=tree)
        except GanlabError as err:
            raise GanlabError(f"cell {name}: {err.problem}", err.fix) from None
        key = json.dumps(to_dict(cfg), sort_keys=True)
        if key in seen:
            raise GanlabError(f"cells {seen[key]} and {name} have the same config", "remove one of them from the SPEC")
        seen[key] = name
        cells.append(Cell(name, o, cfg, folder / name))
    _check_data(cells)
    for cell in cells:
        cell.state = _state(cell)
    keys = list(dict.fromkeys(k for o in overrides for k in o))
    return Plan(spec, folder, cells, keys)


def _no_runs(tree: dict, where: str) -> None:
    if "train.runs" in _keys_of(tree):
        raise GanlabError(f"{where} sets train.runs: the runs of a cell are the SPEC's seeds", "set sweep.seeds instead")


def _keys_of(tree: dict, prefix: str = "") -> builtins.list[str]:
    out = []
    for k, v in tree.items():
        out += _keys_of(v, f"{prefix}{k}.") if isinstance(v, dict) else [f"{prefix}{k}"]
    return out


def _check_data(cells: builtins.list[Cell]) -> None:
    """What needs the loaded data (batch size against the data, metrics the data allow), once per data set."""
    loaded: dict[str, Any] = {}
    for cell in cells:
        key = json.dumps(to_dict(cell.config.data), sort_keys=True)
        try:
            if key not in loaded:
                loaded[key] = load_dataset(cell.config.data)
            check_data(cell.config, loaded[key])
        except GanlabError as err:
            raise GanlabError(f"cell {cell.name}: {err.problem}", err.fix) from None


def is_done(path: Path, runs: int) -> bool:
    """A cell is finished when its summary is written (a lone run: its metrics.json)."""
    return GroupFolder(path).summary.is_file() if runs > 1 else RunFolder(path).metrics.is_file()


def _state(cell: Cell) -> str:
    """How to go on with a cell's folder; refuses one made with another config or not made by a sweep."""
    path = cell.path
    if not path.exists():
        return "new"
    if not path.is_dir():
        raise GanlabError(f"{path} is a file where the sweep keeps cell {cell.name}", "move it away, or choose another out")
    if RunFolder(path).is_run():
        saved = to_dict(make_config(base=RunFolder(path).read_config()))
        changed = [k for k in diff(saved, to_dict(cell.config)) if k not in HOW_IT_RUNS]
        if changed:
            raise GanlabError(f"{path} was trained with another config ({', '.join(changed[:4])})",
                              "restore the SPEC, choose another out, or delete that cell's folder")  # fmt: skip
        return "done" if is_done(path, cell.config.train.runs) else "resume"
    # killed before its config was written: only empty run skeletons can be there
    leftovers = [p.name for p in path.iterdir() if not (p.name.startswith("seed-") or p.name in ("checkpoints", "samples"))]
    if leftovers:
        raise GanlabError(f"{path} holds files that are not a ganlab run ({', '.join(leftovers[:3])})",
                          "move them away, or choose another out")  # fmt: skip
    return "restart"


def clear(path: Path) -> None:
    """Remove a cell folder left before its config was written (``_state`` checked it holds only run skeletons)."""
    shutil.rmtree(path)
