"""What a run needs of the machine, told before anything is allocated: parameter memory against
the free memory of the device it trains on (a lower bound, so a refusal is never wrong).
"""

from __future__ import annotations

import os
from typing import Any

import torch

from ganlab.errors import GanlabError

OPTIMISER_COPIES = {"adam": 2, "rmsprop": 1, "sgd": 0}  # state tensors per parameter (moments; sgd without momentum)


def memory_estimate(cfg: Any, n_g: int, n_d: int) -> int:
    """Bytes of parameter memory a run needs: 4 bytes × (weights + gradients + optimiser state)
    per parameter of each network, + an EMA copy of G, × train.runs. A lower bound (activations
    and data come on top), so a refusal is never wrong."""
    t = cfg.train
    per_g = 2 + OPTIMISER_COPIES[t.optimizer_g] + (1 if t.ema is not None else 0)
    per_d = 2 + OPTIMISER_COPIES[t.optimizer_d]
    return 4 * (n_g * per_g + n_d * per_d) * t.runs


def available_memory(device: str) -> tuple[int | None, str]:
    """(free bytes, what) of the device a run trains on: the GPU's free memory, or the
    machine's available RAM (MemAvailable); None when it cannot be told."""
    if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()):
        try:
            index = int(device.split(":")[1]) if ":" in device else torch.cuda.current_device()
            return int(torch.cuda.mem_get_info(index)[0]), f"GPU {index}"
        except (RuntimeError, AssertionError):
            return None, "the GPU"
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "this machine"
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "this machine"
    except (ValueError, OSError, AttributeError):
        return None, "this machine"


def check_memory(cfg: Any, n_g: int, n_d: int) -> None:
    """Refuse, before any allocation, a model whose parameter memory exceeds what the device has free."""
    need = memory_estimate(cfg, n_g, n_d)
    free, where = available_memory(cfg.train.device)
    if free is not None and need > free:
        raise GanlabError(
            f"the networks ({n_g + n_d:,} parameters{f' × {cfg.train.runs} runs' if cfg.train.runs > 1 else ''}) need at least "
            f"{need / 2**30:.1f} GiB for weights, gradients and optimiser state, and {where} has {free / 2**30:.1f} GiB free",
            "lower model.width or model.depth (or train.runs)",
        )
