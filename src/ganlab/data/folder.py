"""A folder of images: LSUN exports, CelebA, tiny ImageNet, … (nothing is downloaded).

Every PNG / JPEG / BMP / WebP under ``data.path`` (recursively, sorted by path), converted to
RGB, centre-cropped to a square and resized to ``data.resolution`` (default 64) with PIL's BOX
filter when shrinking (area averaging, as for STL-10) and bicubic when enlarging. Validation
and test are each 10 % (at most 5,000) held out with ``data.seed``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.data.base import Dataset, dataset
from ganlab.data.images import default_holdout, hold_out, image_dataset, require_path, short_error
from ganlab.errors import GanlabError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")

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
    size = cfg.resolution or 64  # DCGAN / LSUN / CelebA convention
    x = np.empty((len(paths), 3, size, size), np.uint8)
    _decode_all(paths, size, x)
    n_test = default_holdout(len(x))
    rest, test_idx = hold_out(len(x), n_test, cfg.seed, salt=1)
    n_val = default_holdout(len(x)) if cfg.val_size is None else cfg.val_size
    keep, held = hold_out(len(rest), n_val, cfg.seed)
    return image_dataset(
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
