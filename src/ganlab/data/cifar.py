"""CIFAR-10 / CIFAR-100 from their python pickle batches (nothing is downloaded).

``data.path`` = the extracted ``cifar-10-batches-py`` (``cifar-100-python``) folder, its parent,
or the ``.tar.gz`` itself (read in memory, never extracted). The official test batch is the test
split. The validation split is ``data.val_size`` images (default 5,000 = 10 %) drawn with
``data.seed`` from the 50,000 training images and removed from train; ``data.val_size=0`` trains
on all 50,000, as the papers whose numbers REFERENCES §4 lists did (their FID reference is the
full training set). The pickles are read by an unpickler that allows numpy arrays and nothing
else, so a tampered file cannot run code.
"""

from __future__ import annotations

import codecs
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.data.base import Dataset, dataset
from ganlab.data.images import check_memory, default_holdout, hold_out, image_dataset, require_path, resize_images, short_error
from ganlab.errors import GanlabError


def _numpy_reconstruct() -> Any:
    try:  # numpy ≥ 2 pickles name numpy._core; numpy 1 pickles (the CIFAR files) name numpy.core
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # pragma: no cover - numpy 1
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _numpy_frombuffer() -> Any:
    try:  # protocol-5 pickles rebuild arrays from raw buffers (no object dtype possible)
        from numpy._core.numeric import _frombuffer
    except ImportError:  # pragma: no cover - numpy 1
        from numpy.core.numeric import _frombuffer
    return _frombuffer


# The only globals a CIFAR batch needs: numpy array reconstruction (and codecs.encode, which
# Python 3 uses for bytes in protocol-2 pickles). Anything else — os.system, eval, … — is refused,
# so a tampered file cannot run code.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("_codecs", "encode"): lambda: codecs.encode,
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        get = _ALLOWED_GLOBALS.get((module, name))
        if get is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (a CIFAR batch holds only numpy arrays)")
        return get()


def safe_unpickle(f: Any) -> Any:
    """Load a pickle that may contain only plain containers and numpy arrays."""
    # latin1 reads the Python 2 strings of the original CIFAR pickles, numpy buffers included
    return _NumpyOnlyUnpickler(f, encoding="latin1").load()


_CIFAR = {
    "cifar10": {
        "folder": "cifar-10-batches-py",
        "archive": "cifar-10-python.tar.gz",
        "train": [f"data_batch_{i}" for i in range(1, 6)],
        "test": ["test_batch"],
        "labels": "labels",
        "n_classes": 10,
    },
    "cifar100": {
        "folder": "cifar-100-python",
        "archive": "cifar-100-python.tar.gz",
        "train": ["train"],
        "test": ["test"],
        "labels": "fine_labels",
        "n_classes": 100,
    },
}


def _cifar_batch(obj: Any, where: str, label_key: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(uint8 images (n, 3, 32, 32), labels or None) from one unpickled batch dict."""
    if not isinstance(obj, dict):
        raise GanlabError(
            f"{where} holds a {type(obj).__name__}, not a CIFAR batch dict", "use the python version of CIFAR (…-python.tar.gz)"
        )
    obj = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
    data = obj.get("data")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) == 0:
        got = f"shape {data.shape}, dtype {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
        raise GanlabError(
            f"{where}: 'data' has {got}, expected uint8 rows of 3072 = 3·32·32 pixels", "re-extract the python version of CIFAR"
        )
    labels = obj.get(label_key)
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape != (len(data),):
            raise GanlabError(f"{where}: {len(labels)} labels for {len(data)} images", "re-extract the python version of CIFAR")
    return data.reshape(-1, 3, 32, 32), labels  # rows are R plane, G plane, B plane, each row-major


def _read_cifar_files(path: Path, spec: dict, wanted: list[str]) -> dict[str, Any]:
    """Unpickled batches by file name, from a folder or a .tar.gz (read in memory, never extracted)."""
    blobs: dict[str, Any] = {}
    errors = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, OSError, zlib.error)
    if path.is_dir():
        folder = path / spec["folder"] if (path / spec["folder"]).is_dir() else path
        missing = [n for n in wanted if not (folder / n).is_file()]
        if missing:
            other = [
                k for k, s in _CIFAR.items() if s is not spec and ((folder / s["folder"]).is_dir() or (folder / s["train"][0]).is_file())
            ]
            hint = f" (it looks like {other[0]}: use data.name={other[0]})" if other else ""
            raise GanlabError(
                f"{folder} has no {missing[0]}{hint}", f"point data.path at the extracted {spec['folder']} folder or at {spec['archive']}"
            )
        for n in wanted:
            try:
                with open(folder / n, "rb") as f:
                    blobs[n] = safe_unpickle(f)
            except errors as err:
                raise GanlabError(
                    f"{folder / n} is not a readable CIFAR batch ({short_error(err)})", f"re-extract it from {spec['archive']}"
                ) from None
        return blobs
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:  # sequential: a .tar.gz has no cheap random access
                p = Path(member.name)
                if member.isfile() and p.name in wanted and p.parent.name == spec["folder"]:
                    f = tar.extractfile(member)
                    try:
                        blobs[p.name] = safe_unpickle(f)
                    except errors as err:
                        raise GanlabError(
                            f"{path}:{member.name} is not a readable CIFAR batch ({short_error(err)})", f"download {spec['archive']} again"
                        ) from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise GanlabError(
            f"cannot read {path} as a CIFAR archive ({short_error(err)})",
            f"point data.path at {spec['archive']} or the extracted {spec['folder']} folder",
        ) from None
    missing = [n for n in wanted if n not in blobs]
    if missing:
        raise GanlabError(f"{path} has no {spec['folder']}/{missing[0]}", f"point data.path at {spec['archive']} (the python version)")
    return blobs


def load_cifar(cfg: Any, which: str) -> Dataset:
    """CIFAR-10 or CIFAR-100 (``which``) from its python batches; see the module docstring."""
    spec = _CIFAR[which]
    path = require_path(cfg, f"{spec['folder']}")
    blobs = _read_cifar_files(path, spec, spec["train"] + spec["test"])
    parts: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for split in ("train", "test"):
        xs, ys = [], []
        for n in spec[split]:
            x, y = _cifar_batch(blobs.pop(n), f"{path}:{n}", spec["labels"])
            xs.append(x)
            ys.append(y)
        x = np.concatenate(xs)
        y = None if any(v is None for v in ys) else np.concatenate(ys)
        if cfg.limit is not None:  # the first N images of the split's files, in file order
            x, y = x[: cfg.limit], (None if y is None else y[: cfg.limit])
        parts[split] = (x, y)
    x_train, y_train = parts["train"]
    x_test, y_test = parts["test"]
    # the batches are uint8 at 32² (no larger than their files); what may not fit is the data set
    # resized and as float32, and it is refused before that is allocated. A pickle's size does not
    # bound its image count from below (protocol 2 written by Python 3 stores bytes ≥ 128 in two),
    # so the count is taken from the batches themselves
    size = cfg.resolution or 32
    check_memory(which, len(x_train) + len(x_test), 3, size)
    n_val = default_holdout(len(x_train)) if cfg.val_size is None else cfg.val_size
    keep, held = hold_out(len(x_train), n_val, cfg.seed)
    labels = {}
    if y_train is not None and y_test is not None:
        labels = {"train": y_train[keep], "val": y_train[held], "test": y_test}
    return image_dataset(
        which,
        resize_images(x_train[keep], size),
        resize_images(x_train[held], size),
        resize_images(x_test, size),
        labels,
        {
            "source": str(path),
            "format": "cifar python pickles",
            "n_classes": _CIFAR[which]["n_classes"],
            "split_seed": cfg.seed,
            "split": f"test = official test batch; val = {n_val} training images held out with the seed",
            "resize": "none" if size == 32 else "area average",
        },
    )


@dataset("cifar10", kind="image")
def cifar10(cfg: Any) -> Dataset:
    """CIFAR-10 from the python pickle batches at ``data.path`` (folder or .tar.gz), 32×32."""
    return load_cifar(cfg, "cifar10")


@dataset("cifar100", kind="image")
def cifar100(cfg: Any) -> Dataset:
    """CIFAR-100 from the python pickle files at ``data.path`` (folder or .tar.gz), 32×32."""
    return load_cifar(cfg, "cifar100")
