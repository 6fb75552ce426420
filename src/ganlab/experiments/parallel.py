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
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ganlab.serial import atomic_write_bytes
from ganlab.sweep.executors import worker_init
from ganlab.version import __version__

CELLS = "cells"


def _key(name: str, args: Sequence[Any]) -> str:
    return hashlib.sha1(json.dumps([name, list(args), __version__], default=str).encode()).hexdigest()[:16]


def _cached(folder: Path | None, fn: Callable[..., Any], args: tuple) -> Any:
    """``fn(*args)`` as it reads back from JSON, read from / written to the cell's file when ``folder``
    is given. The file is JSON with NaN kept as NaN (a cell's own store, not an interchange file):
    strict JSON would turn a diverged run's NaN into null, and a reused cell must equal a new one."""
    inputs = {"fn": f"{fn.__module__}.{fn.__qualname__}", "args": json.loads(json.dumps(list(args), default=str)),
              "ganlab": __version__}  # fmt: skip
    path = None if folder is None else folder / CELLS / f"{_key(fn.__qualname__, args)}.json"
    if path is not None and path.is_file():
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}  # unreadable: computed again, and the file replaced
        if isinstance(saved, dict) and saved.get("inputs") == inputs:
            return saved["result"]
    text = json.dumps({"inputs": inputs, "result": fn(*args)}, default=str)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text.encode())
    return json.loads(text)["result"]


def map_cells(fn: Callable[..., Any], jobs: Sequence[tuple], *, folder: Path | None = None, workers: int = 1,
              desc: str = "") -> list[Any]:  # fmt: skip
    """``[fn(*job) for job in jobs]``, in ``workers`` spawned processes when more than one, each
    result kept under ``folder/cells`` (None: not kept). ``fn`` must be a module-level function
    (a worker imports it by name); results come back in the order of ``jobs``, and a job that raises
    stops the map with its error once the running jobs end."""
    if workers <= 1 or len(jobs) <= 1:
        return [_cached(folder, fn, tuple(job)) for job in tqdm(jobs, desc=desc, leave=False, file=sys.stderr, disable=None)]
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: list[Any] = [None] * len(jobs)
    # spawn, not fork: a forked child inherits torch's thread pools in an unknown state
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn"),
                             initializer=worker_init, initargs=(os.getpid(),)) as pool:  # fmt: skip
        futures = {pool.submit(_cached, folder, fn, tuple(job)): i for i, job in enumerate(jobs)}
        try:
            for future in tqdm(as_completed(futures), total=len(jobs), desc=desc, leave=False, file=sys.stderr, disable=None):
                results[futures[future]] = future.result()
        except BaseException:
            for future in futures:  # the jobs not started yet stay undone; the cells already kept are reused next time
                future.cancel()
            raise
    return results
