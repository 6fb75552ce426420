"""Real image data sets read from local files (nothing is downloaded).

``cifar10`` / ``cifar100``: the python pickle batches, ``data.path`` = the extracted
``cifar-10-batches-py`` (``cifar-100-python``) folder, its parent, or the ``.tar.gz`` itself.
The official test batch is the test split. The validation split is ``data.val_size`` images
(default 5,000 = 10 %) drawn with ``data.seed`` from the 50,000 training images and removed
from train; ``data.val_size=0`` trains on all 50,000, as the papers whose numbers
REFERENCES §4 lists did (their FID reference is the full training set).

``stl10``: the binary files of ``stl10_binary`` (``data.path`` = that folder, its parent, or one
``.bin`` file). Train = ``unlabeled_X.bin`` (100,000 images, SN-GAN's choice), or ``train_X.bin``
when the unlabeled file is absent; test = ``test_X.bin`` (8,000) when present, otherwise a
held-out part of the training file. 96×96 images are resized to 48×48 (SN-GAN, Sphere GAN) by
area averaging, which at an integer factor is exactly a 2×2 box filter, then rounded to uint8
as any exported image would be.

``folder``: every PNG / JPEG / BMP / WebP under ``data.path`` (recursively, sorted by path:
LSUN exports, CelebA, tiny ImageNet), converted to RGB, centre-cropped to a square and resized
to ``data.resolution`` (default 64) with PIL's BOX filter when shrinking (area averaging, as
for STL-10) and bicubic when enlarging. Validation and test are each 10 % (at most 5,000)
held out with ``data.seed``.

Every loader returns float32 (N, C, H, W) in [−1, 1] (x/127.5 − 1 of the uint8 pixels).
Memory: float32 costs 4 bytes per pixel value, 4× the uint8 files — CIFAR-10 train 50,000 ×
3·32·32 × 4 B = 614 MB, STL-10 unlabeled at 48² = 2.76 GB, CelebA (202,599) at 64² = 10 GB.
The trainer moves the whole training tensor to the device, which is fastest when it fits;
``data.limit`` reads only the first N images of each file or folder.
"""

from __future__ import annotations

import codecs
import os
import pickle
import tarfile
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ganlab.data.base import DATASETS, Dataset
from ganlab.errors import GanlabError

MAX_VAL = 5000  # cap of the default validation (and folder test) hold-out: enough for FID-10k-style checks, cheap to keep out
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
STL_SIDE = 96
STL_BYTES = 3 * STL_SIDE * STL_SIDE  # one STL-10 image: 3 planes of 96×96 uint8, each column-major


# ---------------------------------------------------------------------------------------------
# shared helpers


def _require_path(cfg: Any, what: str) -> Path:
    """data.path set and existing (a file or a folder)."""
    if not cfg.path:
        raise GanlabError(f"data.name={cfg.name} reads {what} from disk, but data.path is not set", f"pass data.path=/path/to/{what}")
    path = Path(cfg.path).expanduser()
    if not path.exists():
        raise GanlabError(f"data path {path} does not exist", "check data.path (nothing is downloaded: the files must be on disk)")
    return path


def _check_options(cfg: Any) -> None:
    if cfg.limit is not None and cfg.limit < 1:
        raise GanlabError(f"data.limit must be a positive number of images, got {cfg.limit}", "remove data.limit to read everything")
    if cfg.resolution is not None and cfg.resolution < 4:
        raise GanlabError(f"data.resolution must be at least 4 pixels, got {cfg.resolution}", "e.g. data.resolution=32 or 64")
    if cfg.val_size is not None and cfg.val_size < 0:
        raise GanlabError(f"data.val_size must be ≥ 0, got {cfg.val_size}", "use 0 to train on every training image")


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


def _image_dataset(
    name: str, train: np.ndarray, val: np.ndarray, test: np.ndarray, labels: dict[str, np.ndarray], info: dict[str, Any]
) -> Dataset:
    info = {**info, "n_train": len(train), "n_val": len(val), "n_test": len(test), "resolution": int(train.shape[-1])}
    return Dataset(
        name=name, kind="image", train=to_unit_range(train), val=to_unit_range(val), test=to_unit_range(test), labels=labels, info=info
    )


# ---------------------------------------------------------------------------------------------
# CIFAR-10 / CIFAR-100: python pickle batches


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
    },
    "cifar100": {
        "folder": "cifar-100-python",
        "archive": "cifar-100-python.tar.gz",
        "train": ["train"],
        "test": ["test"],
        "labels": "fine_labels",
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
                    f"{folder / n} is not a readable CIFAR batch ({_short(err)})", f"re-extract it from {spec['archive']}"
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
                            f"{path}:{member.name} is not a readable CIFAR batch ({_short(err)})", f"download {spec['archive']} again"
                        ) from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise GanlabError(
            f"cannot read {path} as a CIFAR archive ({_short(err)})",
            f"point data.path at {spec['archive']} or the extracted {spec['folder']} folder",
        ) from None
    missing = [n for n in wanted if n not in blobs]
    if missing:
        raise GanlabError(f"{path} has no {spec['folder']}/{missing[0]}", f"point data.path at {spec['archive']} (the python version)")
    return blobs


def _short(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:100]


def load_cifar(cfg: Any, which: str) -> Dataset:
    """CIFAR-10 or CIFAR-100 (``which``) from its python batches; see the module docstring."""
    _check_options(cfg)
    spec = _CIFAR[which]
    path = _require_path(cfg, f"{spec['folder']}")
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
    n_val = default_holdout(len(x_train)) if cfg.val_size is None else cfg.val_size
    keep, held = hold_out(len(x_train), n_val, cfg.seed)
    size = cfg.resolution or 32
    labels = {}
    if y_train is not None and y_test is not None:
        labels = {"train": y_train[keep], "val": y_train[held], "test": y_test}
    return _image_dataset(
        which,
        resize_images(x_train[keep], size),
        resize_images(x_train[held], size),
        resize_images(x_test, size),
        labels,
        {
            "source": str(path),
            "format": "cifar python pickles",
            "split_seed": cfg.seed,
            "split": f"test = official test batch; val = {n_val} training images held out with the seed",
            "resize": "none" if size == 32 else "area average",
        },
    )


@DATASETS.register("cifar10")
def cifar10(cfg: Any) -> Dataset:
    """CIFAR-10 from the python pickle batches at ``data.path`` (folder or .tar.gz), 32×32."""
    return load_cifar(cfg, "cifar10")


@DATASETS.register("cifar100")
def cifar100(cfg: Any) -> Dataset:
    """CIFAR-100 from the python pickle files at ``data.path`` (folder or .tar.gz), 32×32."""
    return load_cifar(cfg, "cifar100")


# ---------------------------------------------------------------------------------------------
# STL-10: binary files


def read_stl_bin(path: Path, limit: int | None, size: int, chunk: int = 4096) -> np.ndarray:
    """uint8 (N, 3, size, size) from an STL-10 ``*_X.bin`` (memory-mapped, resized chunk by chunk,
    so the 2.8 GB unlabeled file never sits in memory at 96²)."""
    n_bytes = path.stat().st_size
    if n_bytes == 0 or n_bytes % STL_BYTES:
        raise GanlabError(
            f"{path} has {n_bytes} bytes, not a whole number of 96×96×3 images ({STL_BYTES} bytes each)",
            "re-extract stl10_binary.tar.gz (the file is truncated or not an STL-10 *_X.bin)",
        )
    n = n_bytes // STL_BYTES if limit is None else min(limit, n_bytes // STL_BYTES)
    raw = np.memmap(path, dtype=np.uint8, mode="r", shape=(n, 3, STL_SIDE, STL_SIDE))
    out = np.empty((n, 3, size, size), np.uint8)
    for i in range(0, n, chunk):
        block = np.ascontiguousarray(raw[i : i + chunk].transpose(0, 1, 3, 2))  # planes are stored column-major
        out[i : i + chunk] = resize_images(block, size)
    del raw
    return out


def _read_stl_labels(path: Path, n: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    y = np.fromfile(path, dtype=np.uint8)
    if len(y) < n or not ((y >= 1) & (y <= 10)).all():
        raise GanlabError(f"{path} does not hold {n} labels in 1..10", "re-extract stl10_binary.tar.gz, or remove the label file")
    return y[:n].astype(np.int64) - 1  # files count classes from 1


@DATASETS.register("stl10")
def stl10(cfg: Any) -> Dataset:
    """STL-10 from ``stl10_binary``; see the module docstring."""
    _check_options(cfg)
    path = _require_path(cfg, "stl10_binary")
    if path.is_dir():
        folder = path / "stl10_binary" if (path / "stl10_binary").is_dir() else path
        train_file = next((folder / n for n in ("unlabeled_X.bin", "train_X.bin") if (folder / n).is_file()), None)
        if train_file is None:
            raise GanlabError(f"{folder} has no unlabeled_X.bin or train_X.bin", "point data.path at the extracted stl10_binary folder")
        test_file: Path | None = folder / "test_X.bin" if (folder / "test_X.bin").is_file() else None
    else:
        if path.suffix != ".bin":
            raise GanlabError(
                f"{path} is not an STL-10 .bin file", "point data.path at the extracted stl10_binary folder or one *_X.bin in it"
            )
        train_file, test_file = path, None
    size = cfg.resolution or 48  # SN-GAN (Miyato et al. 2018) and Sphere GAN train STL-10 at 48×48
    x = read_stl_bin(train_file, cfg.limit, size)
    y = _read_stl_labels(train_file.with_name(train_file.name.replace("_X", "_y")), len(x))
    n_val = default_holdout(len(x)) if cfg.val_size is None else cfg.val_size
    if test_file is not None:
        x_test = read_stl_bin(test_file, cfg.limit, size)
        y_test = _read_stl_labels(test_file.with_name("test_y.bin"), len(x_test))
        keep, held = hold_out(len(x), n_val, cfg.seed)
        test_rule = f"{test_file.name}"
    else:  # no official test file: hold out a test part of the training file as well
        n_test = default_holdout(len(x))
        rest, test_idx = hold_out(len(x), n_test, cfg.seed, salt=1)
        x_test, y_test = x[test_idx], (None if y is None else y[test_idx])
        x, y = x[rest], (None if y is None else y[rest])
        keep, held = hold_out(len(x), n_val, cfg.seed)
        test_rule = f"{n_test} images of {train_file.name} held out with the seed"
    labels = {"train": y[keep], "val": y[held], "test": y_test} if y is not None and y_test is not None else {}
    return _image_dataset(
        "stl10",
        x[keep],
        x[held],
        x_test,
        labels,
        {
            "source": str(train_file),
            "format": "stl10 binary",
            "split_seed": cfg.seed,
            "split": f"train = {train_file.name}; test = {test_rule}; val = {n_val} training images held out with the seed",
            "resize": "none" if size == STL_SIDE else "area average (2×2 box filter for 48²)",
        },
    )


# ---------------------------------------------------------------------------------------------
# a folder of images


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted by relative path for a fixed order."""
    files = [p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def _decode(path: Path, size: int) -> np.ndarray:
    """One image → uint8 (3, size, size): RGB, centre square crop, BOX (shrink) or bicubic (enlarge)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            w, h = im.size
            s = min(w, h)
            left, top = (w - s) // 2, (h - s) // 2
            im = im.crop((left, top, left + s, top + s))
            if s != size:
                im = im.resize((size, size), Image.Resampling.BOX if size < s else Image.Resampling.BICUBIC)
            return np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:  # UnidentifiedImageError is an OSError
        raise GanlabError(
            f"cannot decode {path} as an image ({_short(err)})", "delete or replace that file, or move it out of data.path"
        ) from None


def _decode_all(paths: Iterable[Path], size: int, out: np.ndarray) -> None:
    # PIL releases the GIL while decoding and resizing, so threads scale on JPEG/PNG folders
    workers = min(16, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i, img in enumerate(pool.map(lambda p: _decode(p, size), paths)):
            out[i] = img


@DATASETS.register("folder")
def folder(cfg: Any) -> Dataset:
    """Every image under ``data.path``; see the module docstring."""
    _check_options(cfg)
    path = _require_path(cfg, "a folder of images")
    if not path.is_dir():
        raise GanlabError(f"data.path {path} is not a folder", "point data.path at a folder of PNG or JPEG images (searched recursively)")
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise GanlabError("reading an image folder needs Pillow, which is not installed", "pip install pillow") from None
    paths = list_images(path)
    if not paths:
        raise GanlabError(f"no PNG, JPEG, BMP or WebP images under {path}", "point data.path at a folder of images (searched recursively)")
    if cfg.limit is not None:
        paths = paths[: cfg.limit]
    size = cfg.resolution or 64  # DCGAN / LSUN / CelebA convention
    x = np.empty((len(paths), 3, size, size), np.uint8)
    _decode_all(paths, size, x)
    n_test = default_holdout(len(x))
    rest, test_idx = hold_out(len(x), n_test, cfg.seed, salt=1)
    n_val = default_holdout(len(x)) if cfg.val_size is None else cfg.val_size
    keep, held = hold_out(len(rest), n_val, cfg.seed)
    return _image_dataset(
        f"folder:{path.name}",
        x[rest[keep]],
        x[rest[held]],
        x[test_idx],
        {},
        {
            "source": str(path),
            "format": "image folder",
            "n_files": len(paths),
            "split_seed": cfg.seed,
            "split": f"test = {n_test} and val = {n_val} images held out with the seed",
            "resize": "RGB, centre square crop, PIL BOX (shrink) / bicubic (enlarge)",
        },
    )
