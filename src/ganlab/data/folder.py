"""A folder of images: LSUN exports, CelebA, tiny ImageNet, … (nothing is downloaded).

Every PNG / JPEG / BMP / WebP under ``data.path`` (recursively, sorted by path), converted to
RGB, centre-cropped to a square and resized to ``data.resolution`` (default 64) with PIL's BOX
filter when shrinking (area averaging, as for STL-10) and bicubic when enlarging. Validation
and test are each 10 % (at most 5,000) held out with ``data.seed``.

Class labels (for conditional runs, ``model.conditional``): a folder whose images all lie in
its direct sub-folders, at least two of them, one per class (``path/<class>/*.png``, the
ImageFolder layout), is labelled by sub-folder name in sorted order; ``info["classes"]``
lists the names. Any other layout is unlabelled.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.data.base import Dataset, dataset
from ganlab.data.images import check_memory, default_holdout, hold_out, image_dataset, require_path, short_error
from ganlab.errors import GanlabError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")

def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted by relative path for a fixed order."""
    files = [p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def folder_labels(folder: Path, paths: list[Path]) -> tuple[np.ndarray, list[str]] | None:
    """(label of each path, class names) when every image is in a direct sub-folder and there
    are at least two of them; None otherwise (an unlabelled folder)."""
    parts = [p.relative_to(folder).parts for p in paths]
    if any(len(q) != 2 for q in parts):
        return None
    names = sorted({q[0] for q in parts})
    if len(names) < 2:
        return None
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[q[0]] for q in parts], dtype=np.int64), names


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
            f"cannot decode {path} as an image ({short_error(err)})", "delete or replace that file, or move it out of data.path"
        ) from None


def _decode_all(paths: Iterable[Path], size: int, out: np.ndarray) -> None:
    # PIL releases the GIL while decoding and resizing, so threads scale on JPEG/PNG folders
    workers = min(16, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i, img in enumerate(pool.map(lambda p: _decode(p, size), paths)):
            out[i] = img


@dataset("folder", kind="image")
def folder(cfg: Any) -> Dataset:
    """Every image under ``data.path``; see the module docstring."""
    path = require_path(cfg, "a folder of images")
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
    classes = folder_labels(path, paths)
    size = cfg.resolution or 64  # DCGAN / LSUN / CelebA convention
    check_memory(f"folder:{path.name}", len(paths), 3, size)  # every image is converted to RGB
    x = np.empty((len(paths), 3, size, size), np.uint8)
    _decode_all(paths, size, x)
    n_test = default_holdout(len(x))
    rest, test_idx = hold_out(len(x), n_test, cfg.seed, salt=1)
    n_val = default_holdout(len(x)) if cfg.val_size is None else cfg.val_size
    keep, held = hold_out(len(rest), n_val, cfg.seed)
    splits = {"train": rest[keep], "val": rest[held], "test": test_idx}
    labels = {k: classes[0][v] for k, v in splits.items()} if classes else {}
    return image_dataset(
        f"folder:{path.name}",
        x[rest[keep]],
        x[rest[held]],
        x[test_idx],
        labels,
        {
            **({"classes": classes[1], "n_classes": len(classes[1])} if classes else
               {"labels_hint": f"put the images of {path} in one sub-folder per class ({path}/<class>/*.png) to label them"}),
            "source": str(path),
            "format": "image folder",
            "n_files": len(paths),
            "split_seed": cfg.seed,
            "split": f"test = {n_test} and val = {n_val} images held out with the seed",
            "resize": "RGB, centre square crop, PIL BOX (shrink) / bicubic (enlarge)",
        },
    )
