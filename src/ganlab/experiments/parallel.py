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
        pairs = [_cached(folder, fn, tuple(job)) for job in tqdm(jobs, desc=desc, leave=False, file=sys.stderr, disable=None)]
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
    with spawn_pool(min(workers, len(jobs))) as pool:
        futures = {pool.submit(_cached, folder, fn, tuple(job)): i for i, job in enumerate(jobs)}
        try:
            for future in tqdm(as_completed(futures), total=len(jobs), desc=desc, leave=False, file=sys.stderr, disable=None):
                results[futures[future]] = future.result()
        except BaseException:
            for future in futures:  # the jobs not started yet stay undone; the cells already kept are reused next time
                future.cancel()
            raise
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
        with tqdm(total=len(jobs), desc=desc, leave=False, file=sys.stderr, disable=None) as bar:
            try:
                while pending:
                    finished, pending = ray.wait(pending, num_returns=1)
                    for ref in finished:
                        # a job's error comes back as a RayTaskError that is also an instance of the job's own error class
                        results[index[ref]] = ray.get(ref)
                        bar.update(1)
            except BaseException:
                for ref in pending:  # the cells already kept are reused next time
                    ray.cancel(ref)
                raise
    return results
