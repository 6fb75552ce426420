"""Class labels of the data sets: checked on construction (integers 0 … K−1, one per sample),
read from a .npz's ``y`` and from an image folder's class sub-folders, and what a conditional
run requires of them (labels present, every class in the training split)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.config import DataConfig, check_labelled, make_config
from ganlab.data import Dataset, load_dataset
from ganlab.data.base import check_labels
from ganlab.errors import GanlabError


def test_check_labels_accepts_integers_and_integral_floats():
    assert check_labels(np.array([0, 2, 1]), 3, "y").dtype == np.int64
    assert check_labels(np.array([0.0, 2.0]), 2, "y").tolist() == [0, 2]


@pytest.mark.parametrize("y,n,k,needle", [
    ([0, -1, 2], 3, None, "label -1 is out of range"),
    ([0, 10, 2], 3, 10, "label 10 is out of range 0 … 9"),
    ([0.5, 1.0], 2, None, "not integers"),
    ([0, 1], 3, None, "(2,) labels for 3 samples"),
    (["a", "b"], 2, None, "not integers"),
])  # fmt: skip
def test_check_labels_refuses(y, n, k, needle):
    with pytest.raises(GanlabError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        check_labels(np.array(y), n, "y", k)


def test_a_dataset_checks_its_labels_and_counts_classes():
    x = torch.zeros(4, 2)
    ds = Dataset("d", "points", x, x[:2], x[:2], labels={"train": np.array([0, 1, 2, 1]), "val": [0, 1], "test": [2, 2]})
    assert ds.n_classes == 3 and Dataset("d", "points", x, x, x).n_classes is None
    with pytest.raises(GanlabError, match="d val labels"):
        Dataset("d", "points", x, x[:2], x[:2], labels={"train": [0, 1, 2, 1], "val": [0, 1, 2], "test": [0, 1]})


def test_digits_and_cifar_declare_their_classes(digits):
    assert digits.n_classes == 10 and set(np.unique(digits.labels["train"])) == set(range(10))


def test_npz_labels(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 2)).astype(np.float32), rng.integers(0, 3, 50)
    np.savez(tmp_path / "l.npz", x=x, y=y)
    ds = load_dataset(DataConfig(name="npz", path=str(tmp_path / "l.npz")))
    assert ds.n_classes == 3 and sum(len(v) for v in ds.labels.values()) == 50
    i = np.flatnonzero((x == ds.train[0].numpy()).all(1))[0]  # the labels follow their samples into the splits
    assert ds.labels["train"][0] == y[i]
    np.savez(tmp_path / "bad.npz", x=x, y=y - 1)
    with pytest.raises(GanlabError, match="array y: label -1 is out of range"):
        load_dataset(DataConfig(name="npz", path=str(tmp_path / "bad.npz")))


def _folder(root, layout: dict[str, int]):
    from PIL import Image

    for sub, n in layout.items():
        d = root / sub if sub else root
        d.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8, 3), (20 * i) % 256, np.uint8)).save(d / f"{i}.png")
    return root


def test_folder_with_class_sub_folders_is_labelled(tmp_path):
    root = _folder(tmp_path / "f", {"cat": 12, "dog": 10, "eel": 8})
    ds = load_dataset(DataConfig(name="folder", path=str(root), resolution=8))
    assert ds.info["classes"] == ["cat", "dog", "eel"] and ds.n_classes == 3
    counts = np.bincount(np.concatenate([ds.labels[s] for s in ("train", "val", "test")]), minlength=3)
    assert counts.tolist() == [12, 10, 8]


def test_folder_without_class_sub_folders_is_unlabelled(tmp_path):
    flat = _folder(tmp_path / "flat", {"": 20})
    mixed = _folder(tmp_path / "mixed", {"": 5, "a": 10})
    for root in (flat, mixed):
        ds = load_dataset(DataConfig(name="folder", path=str(root), resolution=8))
        assert ds.n_classes is None
        cfg = make_config(overrides=[f"data.path={root}", "data.name=folder", "model.conditional=true"])
        with pytest.raises(GanlabError, match="one sub-folder per class"):
            check_labelled(cfg, ds)


def test_a_conditional_run_needs_every_class_in_training(tmp_path):
    x = torch.zeros(4, 2)
    ds = Dataset("gappy", "points", x, x[:2], x[:2], labels={"train": [0, 2, 2, 0], "val": [1, 1], "test": [0, 2]})
    with pytest.raises(GanlabError, match=r"classes \[1\] of 0 … 2 have no training samples"):
        check_labelled(make_config(overrides=["data.name=ring8", "model.conditional=true"]), ds)
