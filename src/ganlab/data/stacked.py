"""Stacked digits: the 1,000-mode benchmark (Stacked MNIST of Metz et al. 2017, VEEGAN, PacGAN §5.2)
on the 8×8 digits that ship with scikit-learn.

A sample is three digit images drawn independently and uniformly (with replacement) from one split
of the digits' fixed split (``digits.digits_split``), stacked as the 3 channels of one 3×8×8 image in
[−1, 1]; its label is 100·d₁ + 10·d₂ + d₃, so there are 10³ = 1,000 modes. Each split of the stacked
set draws only from the same split of the digits (train from the 1,258 train digits, validation
from the 179 validation digits, test from the 360 test digits): no test digit ever reaches training.

Sizes: the training set has ``data.n_points`` samples (default 100,000: 100 per mode on average,
so the training histogram is itself close to uniform; 100,000 × 3 × 8 × 8 float32 is 77 MB —
memory is no reason to go smaller, and drawing more gains little), validation and test
10,000 each whatever the training size, so the reference of FID and precision/recall does not
move when the training set does. The draws are seeded by ``data.seed`` (which also fixes the
digits split) and the split's name, so the three splits are independent streams.
"""

from __future__ import annotations

import numpy as np
import torch

from ganlab.data.base import Dataset, dataset
from ganlab.data.digits import SPLIT, digits_split
from ganlab.errors import GanlabError

N_EVAL = 10_000  # validation and test samples (the reference of FID and precision/recall)
MAX_TRAIN = 10_000_000  # 7.7 GB of float32: beyond it the set would not fit in memory
STREAMS = {"train": 0, "val": 1, "test": 2}  # a separate seeded stream per split


def stack_triples(images: np.ndarray, labels: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n samples of three images drawn uniformly with replacement from ``images`` (M, 8, 8),
    stacked as channels: ((n, 3, 8, 8), labels 100·d₁ + 10·d₂ + d₃ of shape (n,))."""
    idx = rng.integers(len(images), size=(n, 3))  # (n, 3): channel c of sample i is images[idx[i, c]]
    d = labels[idx]
    return images[idx], d[:, 0] * 100 + d[:, 1] * 10 + d[:, 2]


# the digits classifier applied to each channel (metrics/stacked.py) stands in for Inception
@dataset("stacked_digits", kind="image", features="stacked_digits", metrics=("stacked_modes", "fid", "precision_recall"))
def stacked_digits(cfg) -> Dataset:
    """Three 8×8 digits stacked as the channels of one 3×8×8 image: 1,000 modes (Stacked MNIST)."""
    from sklearn.datasets import load_digits

    if cfg.n_points > MAX_TRAIN:
        raise GanlabError(f"data.n_points={cfg.n_points} stacked digits would take {cfg.n_points * 768 / 1e9:.0f} GB",
                          f"use at most {MAX_TRAIN:,} (the default is 100,000)")  # fmt: skip
    raw = load_digits()
    images = raw.images.astype(np.float32) / 8.0 - 1.0  # (1797, 8, 8) in [−1, 1], as the digits data set
    split = digits_split(cfg.seed)
    sizes = {"train": cfg.n_points, "val": N_EVAL, "test": N_EVAL}
    x, y = {}, {}
    for name, idx in split.items():
        rng = np.random.default_rng([cfg.seed, STREAMS[name]])
        xs, ys = stack_triples(images[idx], raw.target[idx], sizes[name], rng)
        x[name], y[name] = torch.from_numpy(xs), ys
    return Dataset(
        name="stacked_digits",
        kind="image",
        train=x["train"],
        val=x["val"],
        test=x["test"],
        labels=y,
        info={"source": "sklearn.datasets.load_digits, three digits stacked as channels", "split_seed": cfg.seed,
              "split": list(SPLIT), "n_classes": 1000, "n_train": cfg.n_points, "n_eval": N_EVAL,
              "digits_per_split": {k: len(v) for k, v in split.items()}},
    )  # fmt: skip
