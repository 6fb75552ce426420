"""What the image data sets share: uint8 → [−1, 1], area resizing, seeded hold-outs.

Each format has its own module (``cifar``, ``stl10``, ``folder``); every loader returns float32
(N, C, H, W) in [−1, 1] (x/127.5 − 1 of the uint8 pixels). Memory: float32 costs 4 bytes per
pixel value, 4× the uint8 files — CIFAR-10 train 50,000 × 3·32·32 × 4 B = 614 MB, STL-10
unlabeled at 48² = 2.76 GB, CelebA (202,599) at 64² = 10 GB. The trainer moves the whole
training tensor to the device, which is fastest when it fits; ``data.limit`` reads only the
first N images of each file or folder. Before reading, each loader counts its images cheaply
(file sizes, a folder listing) and ``check_memory`` refuses a data set whose float32 tensors
would not fit in the memory available.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ganlab import resources
from ganlab.data.base import Dataset
from ganlab.errors import GanlabError

MAX_VAL = 5000  # cap of the default validation (and folder test) hold-out: enough for FID-10k-style checks, cheap to keep out


def require_path(cfg: Any, what: str) -> Path:
    """data.path set and existing (a file or a folder)."""
    if not cfg.path:
        raise GanlabError(f"data.name={cfg.name} reads {what} from disk, but data.path is not set", f"pass data.path=/path/to/{what}")
    path = Path(cfg.path).expanduser()
    if not path.exists():
        raise GanlabError(f"data path {path} does not exist", "check data.path (nothing is downloaded: the files must be on disk)")
    return path


def memory_needed(n: int, channels: int, size: int) -> int:
    """Bytes of the float32 tensors of n images of channels × size × size: 4·n·C·size²
    (a lower bound of what loading takes: the uint8 pixels and the decoder come on top)."""
    return 4 * n * channels * size * size


def check_memory(name: str, n: int, channels: int, size: int) -> None:
    """Refuse, before anything is read, ``n`` images that would not fit in the memory available
    (``resources.available_memory``) as float32 at ``size``×``size``; silent when it cannot be told."""
    need = memory_needed(n, channels, size)
    free, where = resources.available_memory("cpu")  # data is read into host memory, whatever device trains
    if free is not None and need > free:
        raise GanlabError(
            f"{name} at {size}×{size}: {n:,} images × {channels}×{size}×{size} × 4 bytes (float32) need {need / 2**30:.1f} GiB "
            f"in memory, and {where} has {free / 2**30:.1f} GiB available",
            "lower data.resolution, or read fewer images with data.limit=N",
        )


def default_holdout(n: int) -> int:
    """10 % of n, at most MAX_VAL."""
    return min(n // 10, MAX_VAL)


def hold_out(n: int, k: int, seed: int, salt: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(kept, held) sorted indices: k of n items held out by a permutation fixed by ``seed``."""
    if not 0 <= k < n:
        raise GanlabError(f"cannot hold out {k} of {n} images for validation", f"set data.val_size between 0 and {n - 1}")
    perm = np.random.default_rng([seed, salt]).permutation(n)
    return np.sort(perm[k:]), np.sort(perm[:k])


def to_unit_range(x: np.ndarray) -> torch.Tensor:
    """uint8 (N, C, H, W) → float32 in [−1, 1]: x/127.5 − 1 (0 → −1, 255 → 1)."""
    return torch.from_numpy(np.ascontiguousarray(x)).float().div_(127.5).sub_(1.0)


def resize_images(x: np.ndarray, size: int, chunk: int = 2048) -> np.ndarray:
    """uint8 (N, C, H, H) → uint8 (N, C, size, size).

    Shrinking averages areas (``F.interpolate(mode="area")``: an exact k×k box filter at an
    integer factor k, no aliasing); enlarging is bilinear. Chunks bound the float32 working set.
    """
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    out = np.empty((len(x), x.shape[1], size, size), np.uint8)
    mode = "area" if size < x.shape[-1] else "bilinear"
    for i in range(0, len(x), chunk):
        t = torch.from_numpy(np.ascontiguousarray(x[i : i + chunk])).float()
        t = (
            F.interpolate(t, size=(size, size), mode=mode)
            if mode == "area"
            else F.interpolate(t, (size, size), mode=mode, align_corners=False)
        )
        out[i : i + chunk] = t.round_().clamp_(0, 255).to(torch.uint8).numpy()
    return out


def image_dataset(
    name: str, train: np.ndarray, val: np.ndarray, test: np.ndarray, labels: dict[str, np.ndarray], info: dict[str, Any]
) -> Dataset:
    info = {**info, "n_train": len(train), "n_val": len(val), "n_test": len(test), "resolution": int(train.shape[-1])}
    return Dataset(
        name=name, kind="image", train=to_unit_range(train), val=to_unit_range(val), test=to_unit_range(test), labels=labels, info=info
    )


def short_error(err: BaseException) -> str:
    """The first line of an exception's message, cut to 100 characters."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:100]
