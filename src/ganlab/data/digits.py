"""The 8×8 handwritten digits that ship with scikit-learn (UCI optdigits test set, 1,797 images).

Pixels 0..16 are scaled to [−1, 1] (x/8 − 1), shape (N, 1, 8, 8). The split is fixed and
stratified by class with ``seed`` (default 0): 70 % train (1,258), 10 % validation (179),
20 % test (360). The test split is never trained on: MRE and held-out metrics use it.
"""

from __future__ import annotations

import numpy as np
import torch

from ganlab.data.base import Dataset, dataset

SPLIT = (0.7, 0.1, 0.2)  # train / validation / test shares


def digits_split(seed: int = 0) -> dict[str, np.ndarray]:
    """Indices of the fixed, class-stratified train / val / test split."""
    from sklearn.datasets import load_digits

    y = load_digits().target
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_tr = int(round(SPLIT[0] * len(idx)))
        n_va = int(round(SPLIT[1] * len(idx)))
        parts["train"].append(idx[:n_tr])
        parts["val"].append(idx[n_tr : n_tr + n_va])
        parts["test"].append(idx[n_tr + n_va :])
    return {k: np.sort(np.concatenate(v)) for k, v in parts.items()}


# the shipped digits classifier stands in for Inception (wrong for 8×8 grey digits); MRE on the test split
@dataset("digits", kind="image", features="digits", metrics=("fid", "kid", "inception_score", "precision_recall", "mre"))
def digits(cfg) -> Dataset:
    """The 8×8 digits of scikit-learn in [−1, 1], fixed stratified 70/10/20 split (the default data)."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    images = torch.from_numpy(raw.images.astype(np.float32) / 8.0 - 1.0).unsqueeze(1)  # (N, 1, 8, 8) in [−1, 1]
    idx = digits_split(cfg.seed)
    return Dataset(
        name="digits",
        kind="image",
        train=images[idx["train"]],
        val=images[idx["val"]],
        test=images[idx["test"]],
        labels={k: raw.target[v] for k, v in idx.items()},
        info={"source": "sklearn.datasets.load_digits", "split_seed": cfg.seed, "split": list(SPLIT)},
    )
