"""The digits data set: a fixed, stratified split."""

import torch

from ganlab.config import DataConfig
from ganlab.data import load_dataset


def test_digits_split_is_fixed_disjoint_and_scaled():
    a = load_dataset(DataConfig(name="digits"))
    b = load_dataset(DataConfig(name="digits"))
    assert torch.equal(a.train, b.train) and torch.equal(a.test, b.test)
    assert a.train.shape[1:] == (1, 8, 8)
    assert len(a.train) + len(a.val) + len(a.test) == 1797
    assert a.train.min() >= -1 and a.train.max() <= 1
    # every class is in every split (stratified)
    for split in ("train", "val", "test"):
        assert set(a.labels[split]) == set(range(10))
