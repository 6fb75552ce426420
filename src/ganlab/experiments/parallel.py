"""An experiment's independent cells in a pool of worker processes, each kept in the out folder.

A full mode is many groups that share nothing (modes: objective × data set × settings); on a
2-core machine they train side by side, one torch thread per worker (benchmarks/threads.py: two
threads per process contend on a loaded machine). Each cell's result is written to
``cells/<key>.json`` in the experiment's folder when it finishes, with the inputs it was computed
from: the same command started again after a kill trains only the missing cells, and a cell file
whose inputs differ is computed again, never reused. Results must be plain JSON values.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ganlab.serial import atomic_write_bytes
from ganlab.sweep.executors import ray_started, spawn_pool
from ganlab.version import __version__

CELLS = "cells"


def _key(name: str, args: Sequence[Any]) -> str:
    return hashlib.sha1(json.dumps([name, list(args), __version__], default=str).encode()).hexdigest()[:16]


def _cached(folder: Path | None, fn: Callable[..., Any], args: tuple) -> tuple[Any, bool]:
    """(``fn(*args)`` as it reads back from JSON, whether it was read from a kept cell), read from /
    written to the cell's file when ``folder`` is given. The file is JSON with NaN kept as NaN (a
    cell's own store, not an interchange file): strict JSON would turn a diverged run's NaN into
    null, and a reused cell must equal a new one."""
    inputs = {"fn": f"{fn.__module__}.{fn.__qualname__}", "args": json.loads(json.dumps(list(args), default=str)),
              "ganlab": __version__}  # fmt: skip
    path = None if folder is None else folder / CELLS / f"{_key(fn.__qualname__, args)}.json"
    if path is not None and path.is_file():
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}  # unreadable: computed again, and the file replaced
        if isinstance(saved, dict) and saved.get("inputs") == inputs:
            return saved["result"], True
    text = json.dumps({"inputs": inputs, "result": fn(*args)}, default=str)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text.encode())
    return json.loads(text)["result"], False


def _ray_cell(folder: Path | None, fn: Callable[..., Any], job: tuple) -> tuple[Any, bool]:
    import torch

    torch.set_num_threads(1)  # as a local worker (worker_init): the cells share the node's cores
    return _cached(folder, fn, job)


class _Progress:
    """Cells done of a map: a bar on a terminal; elsewhere (the log file of a run in the background)
    one line per computed cell, with the elapsed time and what is left at the pace so far."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.done, self.reused = total, desc or "cells", 0, 0
        self.start = time.monotonic()
        self.bar = tqdm(total=total, desc=desc, leave=False, file=sys.stderr) if sys.stderr.isatty() else None

    def update(self, reused: bool) -> None:
        self.done += 1
        self.reused += bool(reused)
        if self.bar is not None:
            self.bar.update(1)
        elif not reused:  # a reused cell is read in a blink: counted, not announced
            computed, left = self.done - self.reused, self.total - self.done
            minutes = (time.monotonic() - self.start) / 60
            pace = f", ≈ {minutes / computed * left:.0f} min left at this pace" if left else ""
            print(f"{self.desc}: {self.done}/{self.total} cells ({self.reused} reused), {minutes:.0f} min{pace}", file=sys.stderr,
                  flush=True)  # fmt: skip

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def map_cells(fn: Callable[..., Any], jobs: Sequence[tuple], *, folder: Path | None = None, workers: int = 1,
              desc: str = "", executor: str = "local", address: str | None = None,
              counts: dict[str, int] | None = None) -> list[Any]:  # fmt: skip
    """``[fn(*job) for job in jobs]``, each result kept under ``folder/cells`` (None: not kept).
    ``executor`` "local": in ``workers`` spawned processes when more than one, else here; "ray":
    each job a Ray task requesting one CPU (Ray as ``ray_started(address)`` gives it; ``folder``
    must then be one every node sees). ``fn`` must be a module-level function (a worker imports
    it by name); results come back in the order of ``jobs``, and a job that raises stops the map
    with its error (the local pool lets its running jobs end; Ray cancels them). ``counts``, when
    given, gains the number of cells computed and reused from their files ("computed", "reused")."""
    if executor == "ray":
        pairs = _map_ray(fn, jobs, folder, address, desc)
    elif executor != "local":
        raise ValueError(f"unknown executor {executor!r}: local or ray")
    elif workers <= 1 or len(jobs) <= 1:
        progress, pairs = _Progress(len(jobs), desc), []
        for job in jobs:
            pairs.append(_cached(folder, fn, tuple(job)))
            progress.update(pairs[-1][1])
        progress.close()
    else:
        pairs = _map_local(fn, jobs, folder, workers, desc)
    if counts is not None:
        for _, reused in pairs:
            key = "reused" if reused else "computed"
            counts[key] = counts.get(key, 0) + 1
    return [result for result, _ in pairs]


def _map_local(fn: Callable[..., Any], jobs: Sequence[tuple], folder: Path | None, workers: int, desc: str) -> list[tuple[Any, bool]]:
    from concurrent.futures import as_completed

    results: list[Any] = [None] * len(jobs)
    progress = _Progress(len(jobs), desc)
    with spawn_pool(min(workers, len(jobs))) as pool:
        futures = {pool.submit(_cached, folder, fn, tuple(job)): i for i, job in enumerate(jobs)}
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                progress.update(results[futures[future]][1])
        except BaseException:
            for future in futures:  # the jobs not started yet stay undone; the cells already kept are reused next time
                future.cancel()
            raise
        finally:
            progress.close()
    return results


def _map_ray(fn: Callable[..., Any], jobs: Sequence[tuple], folder: Path | None, address: str | None,
             desc: str) -> list[tuple[Any, bool]]:  # fmt: skip
    with ray_started(address) as ray:
        remote = ray.remote(_ray_cell).options(num_cpus=1)
        folder = None if folder is None else folder.resolve()  # the tasks may run in another working directory
        refs = [remote.remote(folder, fn, tuple(job)) for job in jobs]
        index = {ref: i for i, ref in enumerate(refs)}
        results: list[Any] = [None] * len(jobs)
        pending = list(refs)
        progress = _Progress(len(jobs), desc)
        try:
            while pending:
                finished, pending = ray.wait(pending, num_returns=1)
                for ref in finished:
                    # a job's error comes back as a RayTaskError that is also an instance of the job's own error class
                    results[index[ref]] = ray.get(ref)
                    progress.update(results[index[ref]][1])
        except BaseException:
            for ref in pending:  # the cells already kept are reused next time
                ray.cancel(ref)
            raise
        finally:
            progress.close()
    return results
