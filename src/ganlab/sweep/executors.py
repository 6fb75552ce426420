"""Where the cells of a sweep train: a local process pool, or Ray tasks.

Each cell is one task, ``run_cell(path, config, state)``, that trains (or resumes) its group in
its folder and returns ``{"error": None | str}``; results are read back from the folder, so a
task's return value never carries data and the folder is the only record (on Ray it must be a
folder every node sees). Neither executor schedules anything itself: the local one is a
``ProcessPoolExecutor`` (spawned workers, one torch thread each), the Ray one submits every
cell as a ``ray.remote`` task with its CPU / GPU request and lets Ray place them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ganlab.api import resume, train
from ganlab.config import make_config
from ganlab.errors import GanlabError
from ganlab.sweep.spec import clear

EXECUTORS = ("local", "ray")
RAY_INSTALL = "install the extra: pip install 'ganlab[ray]' (or pip install ray)"
CANCEL_GRACE_S = 120.0  # how long an interrupted Ray sweep waits for its running cells to checkpoint
_ORPHANED = threading.Event()  # set in a local worker whose sweep process is gone


@dataclasses.dataclass(frozen=True)
class Task:
    """One cell to train: its folder (absolute), its resolved config as plain values, and how to go on."""

    name: str
    path: str
    config: dict
    state: str  # new | resume | restart
    runs: int
    gpu: bool  # whether its config trains on a GPU (train.device cuda…)


Done = Callable[[Task, dict], None]


def run_cell(path: str, config: dict, state: str) -> dict:
    """Train one cell to the end in ``path``: a new group, a resumed one (exact, from its newest
    common checkpoint) or one started again after a kill that left no config. Errors come back as text."""
    try:
        if state == "resume":
            resume(path, quiet=True)
        else:
            if state == "restart":
                clear(Path(path))
            train(make_config(base=config), path, quiet=True)
    except GanlabError as err:
        return {"error": str(err)}
    finally:
        if _ORPHANED.is_set():  # the cell saved its checkpoint; nobody is left to take a result
            os._exit(1)
    return {"error": None}


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def worker_init(parent: int) -> None:
    """A local worker: one torch thread, and a watch on the process that started it (``parent``):
    a worker whose parent is gone stops instead of training on for nobody."""
    import torch

    # workers share the cores: torch's own thread pool per worker would oversubscribe them (benchmarks/threads.py)
    torch.set_num_threads(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    # a sweep killed outright (SIGKILL, or SIGTERM with no handler) leaves its workers behind; a worker
    # then stops its cell as a killed run stops (SIGTERM: checkpoint, then exit), so a rerun resumes it
    # and no orphan writes into a folder that the rerun is using
    while os.getppid() == parent:
        time.sleep(1.0)
    _ORPHANED.set()
    os.kill(os.getpid(), signal.SIGTERM)


def spawn_pool(workers: int) -> Any:
    """A ``ProcessPoolExecutor`` of ``workers`` local workers (``worker_init``: one torch thread, a
    watch on this process), spawned, not forked: a forked child inherits torch's thread pools in an
    unknown state."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=worker_init,
                               initargs=(os.getpid(),))  # fmt: skip


def run_local(tasks: Sequence[Task], done: Done, *, workers: int | None = None) -> None:
    """Every task in a pool of ``workers`` processes (default: one per core), one torch thread each."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    n = max(1, min(workers or cores(), len(tasks)))
    pool = spawn_pool(n)
    queue = list(reversed(tasks))
    pending: dict = {}
    try:
        while queue or pending:
            # a cell is handed out only when a worker is free: a pool's own queue would start queued
            # cells after a Ctrl-C has stopped the running ones
            while queue and len(pending) < n:
                t = queue.pop()
                try:
                    pending[pool.submit(run_cell, t.path, t.config, t.state)] = t
                except BrokenProcessPool:  # a worker died (out of memory, a crash): the cells left are reported, not lost
                    done(t, {"error": "a worker process of the pool died; see the messages above"})
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                task = pending.pop(future)
                try:
                    result = future.result()
                except Exception as err:  # noqa: BLE001 — a crashed cell is reported, the others go on
                    result = {"error": f"{type(err).__name__}: {(str(err).splitlines() or [''])[0][:200]}"}
                done(task, result)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # the running cells checkpoint on SIGINT and stop
        raise
    pool.shutdown(wait=True)


def ray_module() -> Any:
    """Ray, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise GanlabError("--executor ray needs Ray, which is not installed", RAY_INSTALL) from None
    return ray


@contextlib.contextmanager
def ray_started(address: str | None = None) -> Iterator[Any]:
    """Ray, started here on this machine (``ray.init()``) or joined at ``address`` (a cluster) for
    the block and stopped after it, or used as it is when the caller already started it."""
    ray = ray_module()
    if ray.is_initialized():
        yield ray
        return
    try:
        ray.init(address=address) if address else ray.init()
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise GanlabError(f"cannot start or reach Ray{f' at {address}' if address else ''}: {str(err).splitlines()[0][:160]}",
                          "check --ray-address (ray status on the head node prints it)") from None  # fmt: skip
    try:
        yield ray
    finally:
        ray.shutdown()


def run_ray(tasks: Sequence[Task], done: Done, *, address: str | None = None, cpus: float = 1.0, gpus: float | None = None) -> None:
    """Every task as a Ray task requesting ``cpus`` CPUs and ``gpus`` GPUs (default: 1 for a cell
    whose config trains on CUDA, else 0), on Ray as ``ray_started(address)`` gives it."""
    with ray_started(address) as ray:
        remote = ray.remote(run_cell)
        refs = {}
        for t in tasks:
            want = gpus if gpus is not None else (1.0 if t.gpu else 0.0)
            refs[remote.options(num_cpus=cpus, num_gpus=want).remote(t.path, t.config, t.state)] = t
        pending = list(refs)
        try:
            while pending:
                finished, pending = ray.wait(pending, num_returns=1)
                for ref in finished:
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as err:
                        result = {"error": f"{type(err).__name__}: {(str(err).splitlines() or [''])[0][:200]}"}
                    done(refs[ref], result)
        except KeyboardInterrupt:
            # ray.cancel interrupts a running task as Ctrl-C would: its run checkpoints and stops
            for ref in pending:
                ray.cancel(ref)
            ray.wait(pending, num_returns=len(pending), timeout=CANCEL_GRACE_S)
            raise
