"""Data sets read from local files the user already has (nothing is downloaded).

Before an array is read, the size its ``.npy`` header declares is checked against the memory
available (as float32, what the samples become), so a file that would not fit is refused with
one line instead of exhausting the machine.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import torch

from ganlab import resources
from ganlab.data.base import Dataset, check_labels, dataset
from ganlab.errors import GanlabError

SPLIT = (0.8, 0.1, 0.1)  # train / validation / test shares of a file without its own splits
MIN_SAMPLES = 10  # fewest samples that leave every split (80 / 10 / 10 %) at least one


def _require_file(cfg, what: str) -> Path:
    if not cfg.path:
        raise GanlabError(
            f"data.name={cfg.name} reads {what} from a local file, but data.path is not set", "pass data.path=/path/to/file"
        )
    path = Path(cfg.path).expanduser()
    if not path.exists():
        raise GanlabError(f"data file {path} does not exist", "check data.path (nothing is downloaded: the file must be on disk)")
    if not path.is_file():
        raise GanlabError(f"data.path {path} is not a file", "point data.path at the file itself")
    return path


def split_indices(n: int, seed: int, shares: tuple[float, float, float] = SPLIT) -> dict[str, np.ndarray]:
    """A fixed random train / val / test partition of n items (deterministic in ``seed``)."""
    perm = np.random.default_rng(seed).permutation(n)
    n_tr = int(round(shares[0] * n))
    n_va = int(round(shares[1] * n))
    return {"train": np.sort(perm[:n_tr]), "val": np.sort(perm[n_tr : n_tr + n_va]), "test": np.sort(perm[n_tr + n_va :])}


def validate_array(x: np.ndarray, path: Path) -> torch.Tensor:
    """Check an array of samples: numeric, finite, (N, D) points or (N, C, H, W) images in [−1, 1]."""
    if x.dtype.kind not in "fiu":
        raise GanlabError(f"{path} holds {x.dtype} data, not numbers", "store float32 samples (points, or images in [−1, 1])")
    if x.ndim not in (2, 4) or 0 in x.shape:
        raise GanlabError(
            f"{path} holds an array of shape {x.shape}",
            f"store (N, D) points or (N, C, H, W) images with N ≥ {MIN_SAMPLES} and no empty axis",
        )
    if x.dtype.kind == "u" and x.ndim == 4:
        if x.max() > 255:
            raise GanlabError(f"{path} holds integer images up to {x.max()}", "store uint8 images (0..255) or floats in [−1, 1]")
        x = x.astype(np.float32) / 127.5 - 1.0  # uint8 images → [−1, 1]
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).sum())
        raise GanlabError(f"{path} contains {bad} NaN or infinite values", "clean the data before training")
    with np.errstate(over="ignore"):
        x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise GanlabError(f"{path} holds values beyond the float32 range (±3.4e38)", "rescale the data before training")
    if x.ndim == 4 and (x.min() < -1.0 - 1e-4 or x.max() > 1.0 + 1e-4):
        raise GanlabError(
            f"{path} holds images with values in [{x.min():.3g}, {x.max():.3g}]",
            "scale float images to [−1, 1] (uint8 images are scaled automatically)",
        )
    if len(x) < MIN_SAMPLES:
        raise GanlabError(f"{path} holds only {len(x)} samples", f"store at least {MIN_SAMPLES}, so that each split gets one")
    return torch.from_numpy(x)


def _read_array(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """The samples of a .npz (array ``x``, or its only array) or .npy file, without unpickling,
    and the class labels (array ``y`` of a .npz beside ``x``) or None."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):  # a .npy file
            return loaded, None
        with loaded as f:
            keys = list(f.keys())
            if "x" in keys:
                key = "x"
            elif len(keys) == 1:
                key = keys[0]
            else:
                raise GanlabError(
                    f"{path} has arrays {keys} but none named x", "save the samples under the name x: np.savez(path, x=samples)"
                )
            return f[key], (f["y"] if key == "x" and "y" in keys else None)
    except GanlabError:
        raise
    except PermissionError:
        raise GanlabError(f"cannot read {path}: permission denied", "make the file readable (chmod u+r) or copy it") from None
    except Exception as err:
        # whatever numpy, zipfile or zlib raise on a damaged or foreign file, the fix is the same
        first = (str(err).splitlines() or [type(err).__name__])[0][:100]
        raise GanlabError(f"cannot read {path} as .npz or .npy ({first})", "write the samples with numpy.savez(path, x=samples)") from None


def declared_values(path: Path) -> int | None:
    """Values of the samples array (``x``, or the only array) as its ``.npy`` header declares them,
    read without the data; None when the header cannot be read (``_read_array`` then says why)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n.endswith(".npy")]
                name = "x.npy" if "x.npy" in names else (names[0] if len(names) == 1 else None)
                if name is None:
                    return None
                with z.open(name) as f:
                    return _header_values(f)
        with open(path, "rb") as f:
            return _header_values(f)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, SyntaxError, TypeError):
        return None


def _header_values(f) -> int | None:
    version = np.lib.format.read_magic(f)
    read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if read is None:
        return None
    shape = read(f)[0]
    return math.prod(shape) if all(isinstance(k, int) and k >= 0 for k in shape) else None  # Python ints: no overflow


def check_file_memory(path: Path) -> None:
    """Refuse, before reading, samples whose float32 copy (4 bytes a value) exceeds the memory available."""
    values = declared_values(path)
    free, where = resources.available_memory("cpu")
    if values is not None and free is not None and 4 * values > free:
        raise GanlabError(f"{path} holds {values:,} values, {4 * values / 2**30:.1f} GiB as float32, and {where} has "
                          f"{free / 2**30:.1f} GiB available", "use a smaller sample of the data")  # fmt: skip


@dataset("npz", kind="file")
def npz(cfg) -> Dataset:
    """Samples from a .npz file: array ``x`` (or the only array), points (N, D) or images (N, C, H, W);
    optional integer class labels ``y`` (N,) in 0 … K−1."""
    path = _require_file(cfg, "a .npz array")
    check_file_memory(path)
    x, y = _read_array(path)
    data = validate_array(x, path)
    if y is not None:
        y = check_labels(y, len(x), f"{path} array y")
    idx = split_indices(len(data), cfg.seed)
    return Dataset(
        name=f"npz:{path.name}",
        kind="points" if data.ndim == 2 else "image",
        train=data[idx["train"]],
        val=data[idx["val"]],
        test=data[idx["test"]],
        labels={} if y is None else {k: y[v] for k, v in idx.items()},
        info={"source": str(path), "split_seed": cfg.seed, "split": list(SPLIT),
              "labels_hint": f"store the labels beside the samples: np.savez({path.name}, x=samples, y=labels)"},  # fmt: skip
    )
