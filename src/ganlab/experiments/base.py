"""What every experiment shares: the registry, the output folder, tables, timing, a training loop.

An experiment is a function ``run(ctx) -> None`` registered with ``@experiment(name)``; it
trains and measures through the library's own API (configs, ``Trainer``, ``evaluate``) and
writes through ``ctx``: ``ctx.table`` (markdown + CSV), ``ctx.figure`` (a PNG path),
``ctx.text`` (a paragraph). ``run_experiment`` then writes the folder's ``README.md`` (the
report: claim, command, CPU time, tables, figures, notes) and ``result.json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from ganlab.errors import GanlabError
from ganlab.experiments.tables import Stat, plain, write_table
from ganlab.registry import Registry
from ganlab.serial import write_json
from ganlab.stats import compare, compare_times, comparison_text
from ganlab.version import __version__


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A registered experiment: its function and what it reproduces."""

    name: str
    fn: Callable[[Context], None]
    title: str  # first docstring line
    doc: str  # the whole docstring: claim, settings, measured CPU time of the full mode
    default_seeds: int  # seeds of the full mode
    quick_seeds: int = 1
    order: int = 100  # its place in docs/RESULTS.md (lower first)


EXPERIMENTS: Registry[Experiment] = Registry("experiment")


def experiment(name: str, *, seeds: int = 3, order: int = 100) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    """Register ``fn(ctx)`` as experiment ``name``; its docstring is the documentation, ``order``
    its place in docs/RESULTS.md."""

    def deco(fn: Callable[[Context], None]) -> Callable[[Context], None]:
        doc = (fn.__doc__ or "").strip()
        EXPERIMENTS.register(name)(Experiment(name, fn, doc.splitlines()[0] if doc else name, doc, seeds, order=order))
        return fn

    return deco


@dataclasses.dataclass
class Context:
    """Where an experiment writes, and at which size it runs."""

    name: str
    out: Path
    quick: bool
    seeds: int
    parts: list[str] = dataclasses.field(default_factory=list)  # markdown blocks, in order
    data: dict[str, Any] = dataclasses.field(default_factory=dict)  # machine-readable results (result.json)
    executor: str = "local"  # where ``map`` runs the cells: local processes, or Ray tasks
    workers: int | None = None  # local: worker processes of the full mode (default one per core; quick: 1)
    ray_address: str | None = None  # ray: the cluster to join (None: Ray on this machine)
    cells: dict[str, int] = dataclasses.field(default_factory=dict)  # cells of ``map``: computed here / reused from files

    def size(self, quick: Any, full: Any) -> Any:
        """``quick`` in quick mode, else ``full``."""
        return quick if self.quick else full

    def map(self, fn: Callable[..., Any], jobs: Sequence[tuple], desc: str = "") -> list[Any]:
        """``[fn(*job) for job in jobs]`` as kept cells of this experiment (``parallel.map_cells``) on
        its executor: locally one worker per core in the full mode (quick: this process), or on Ray."""
        from ganlab.experiments.parallel import map_cells
        from ganlab.sweep.executors import cores

        workers = self.workers if self.workers is not None else self.size(1, cores())
        return map_cells(fn, jobs, folder=self.out, workers=workers, desc=desc, executor=self.executor, address=self.ray_address,
                         counts=self.cells)  # fmt: skip

    def text(self, markdown: str) -> None:
        self.parts.append(markdown.strip())

    def claim(self, statement: str, a: Stat, b: Stat, expect: str, *, paired: bool = True,
              budget: float | tuple[Sequence[float], Sequence[float]] | None = None) -> str:  # fmt: skip
        """Decide "a < b" / "a > b" over the seeds (``stats.compare``: bootstrap interval of the
        difference, effect size, p) and record it in result.json's ``claims``; returns the line.
        With ``budget`` (one for all runs, or each run's own per side), a and b are paired times
        to a target, NaN = never reached within it (``stats.compare_times``: censored, not
        dropped)."""
        if budget is not None:
            c = compare_times(list(a.values), list(b.values), expect=expect, budget=budget)
        else:
            c = compare(list(a.values), list(b.values), expect=expect, paired=paired)
        self.data.setdefault("claims", []).append({**c, "claim": statement, "form": c["claim"]})  # the statement, not just "a < b"
        return f"{statement} — {comparison_text(c)}"

    def figure(self, name: str, caption: str) -> Path:
        """A path for a PNG figure; it is linked in the README under ``caption``."""
        path = self.out / f"{name}.png"
        self.parts.append(f"![{caption}]({path.name})\n\n*{caption}*")
        return path

    def table(self, name: str, rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]] | None = None, *,
              title: str = "", notes: str = "") -> str:  # fmt: skip
        """Write ``name.csv`` (raw values) and ``name.md``, and add the table to the README.

        ``columns``: (key, header) pairs; a value that is a ``Stat`` prints as mean ± std.
        """
        md = write_table(self.out, name, rows, columns, title=title, notes=notes)
        self.parts.append(md)
        keys = [k for k, _ in columns] if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
        self.data.setdefault("tables", {})[name] = [{k: plain(r.get(k)) for k in keys} for r in rows]
        return md


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run with one intra-op thread: the networks here are tiny, and on a shared 2-core machine
    torch's default thread pool spends far more time contending than computing (measured: 300
    ring8 steps took 1.0 s of CPU with 1 thread, 50 s with 2 under load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _ray_for(executor: str, address: str | None) -> Iterator[None]:
    """One Ray session for the whole experiment (its ``map`` calls use it), none for the local executor."""
    if executor != "ray":
        yield
        return
    from ganlab.sweep.executors import ray_started

    with ray_started(address):
        yield


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (an experiment's worker
    processes: ``parallel.map_cells`` ends its pool before it returns)."""
    try:
        import resource
    except ImportError:  # Windows: no rusage; its workers' time is not counted
        return time.process_time()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def command_line(name: str, quick: bool, seeds: int | None, out: Path) -> str:
    parts = ["ganlab experiment", name] + (["--quick"] if quick else []) + ([f"--seeds {seeds}"] if seeds is not None else [])
    return " ".join(parts + ["--out", str(out)])


def run_experiment(name: str, *, quick: bool = False, seeds: int | None = None, out: str | Path | None = None,
                   executor: str = "local", workers: int | None = None, ray_address: str | None = None) -> Path:  # fmt: skip
    """Run experiment ``name`` into ``out`` (default ``experiments/NAME``); returns the folder.

    Writes tables (``*.md``, ``*.csv``), figures (``*.png``), ``README.md`` and ``result.json``.
    ``executor`` / ``workers`` / ``ray_address``: where its cells train (``Context.map``); the
    results do not depend on it. Cells kept by an earlier run are reused, and the report says so.
    On Ray the measured CPU is this process's alone (Ray's workers are not its children); each
    cell's training CPU is in the tables.
    """
    exp = EXPERIMENTS.get(name)
    if seeds is not None and seeds < 1:
        raise GanlabError(f"--seeds must be at least 1, got {seeds}", "pass --seeds 1 or more")
    folder = Path(out) if out is not None else Path("experiments") / (name + ("-quick" if quick else ""))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise GanlabError(f"cannot create {folder}: {err.strerror}", "choose a writable --out") from None
    n_seeds = seeds if seeds is not None else (exp.quick_seeds if quick else exp.default_seeds)
    ctx = Context(name, folder, quick, n_seeds, executor=executor, workers=workers, ray_address=ray_address)
    wall, cpu = time.perf_counter(), cpu_seconds()
    with one_thread(), _ray_for(executor, ray_address):
        exp.fn(ctx)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    cmd = command_line(name, quick, seeds, folder)
    head = [
        f"## `{name}` — {exp.title}",
        "",
        f"Regenerate: `{cmd}`  ",
        f"Mode: {'quick' if quick else 'full'}, seeds: {n_seeds}. Measured: {cpu:.0f} s CPU, {wall:.0f} s wall "
        f"(one torch thread; {platform.machine()}, torch {torch.__version__}, ganlab {__version__})."
        + _reuse_text(ctx.cells),
    ]
    readme = "\n".join(head) + "\n\n" + "\n\n".join(ctx.parts) + "\n"
    (folder / "README.md").write_text(readme)
    result = {"experiment": name, "quick": quick, "seeds": n_seeds, "command": cmd, "cpu_seconds": round(cpu, 2),
              "wall_seconds": round(wall, 2), "cells": dict(ctx.cells), "ganlab_version": __version__, "torch": torch.__version__,
              "python": sys.version.split()[0], **ctx.data}  # fmt: skip
    write_json(folder / "result.json", _json_ready(result))
    return folder


def _reuse_text(cells: dict[str, int]) -> str:
    """What the measured time leaves out: cells reused from an earlier run of the same command (stopped, or finished)."""
    reused = cells.get("reused", 0)
    if not reused:
        return ""
    return (f" Of its {reused + cells.get('computed', 0)} cells, {reused} were reused from cells/, kept by an earlier run of "
            "this command; their CPU is not in these figures (each cell's training CPU is in the tables).")


def _json_ready(obj: Any) -> Any:
    """Stat cells as their mean / std / values; the rest is ``serial``'s to convert."""
    if isinstance(obj, dict):
        return {str(k): _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    return plain(obj) if isinstance(obj, Stat) else obj
