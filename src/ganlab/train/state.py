"""Process-wide state a run sets or keeps: the global random streams (torch, CUDA, numpy, Python),
captured and restored in one place, and torch's thread count.

A checkpoint holds them so that a resumed run draws exactly what an uninterrupted one would;
an evaluation runs inside ``rng_kept`` so that a run with evaluations trains exactly as one
without them. States are plain containers and tensors, so checkpoints load with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch


def capture_rng(cuda: bool | None = None) -> dict:
    """The global streams as plain containers (CUDA's too when ``cuda``; default: if available)."""
    state = {"torch": torch.get_rng_state(), "numpy": _numpy_state(), "python": _python_state()}
    if cuda if cuda is not None else torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    """Set the global streams to a ``capture_rng`` state."""
    torch.set_rng_state(state["torch"])
    _set_numpy_state(state["numpy"])
    _set_python_state(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def rng_kept(device: torch.device | str = "cpu") -> Iterator[None]:
    """Run a block without moving the global random streams."""
    state = capture_rng(cuda=torch.device(device).type == "cuda")
    try:
        yield
    finally:
        restore_rng(state)


def _numpy_state() -> dict:
    name, key, pos, has_gauss, cached = np.random.get_state()
    return {"name": name, "key": torch.from_numpy(key.astype(np.int64)), "pos": int(pos), "has_gauss": int(has_gauss),
            "cached": float(cached)}  # fmt: skip


def _set_numpy_state(s: dict) -> None:
    np.random.set_state((s["name"], s["key"].numpy().astype(np.uint32), s["pos"], s["has_gauss"], s["cached"]))


def _python_state() -> dict:
    version, internal, gauss = random.getstate()
    return {"version": version, "internal": torch.tensor(internal, dtype=torch.int64), "gauss": gauss}


def _set_python_state(s: dict) -> None:
    random.setstate((s["version"], tuple(int(v) for v in s["internal"].tolist()), s["gauss"]))


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[None]:
    """torch's intra-op thread count for a run (``train.threads``), restored afterwards."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
