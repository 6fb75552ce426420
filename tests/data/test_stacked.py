"""Stacked digits: three digits of one split as the channels of a 3×8×8 image, 1,000 modes."""

import numpy as np
import pytest
import torch

from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.errors import GanlabError


@pytest.fixture(scope="module")
def stacked():
    return load_dataset(DataConfig(name="stacked_digits", n_points=20_000))


def _images_by_split(seed: int = 0) -> dict[str, dict[bytes, set[int]]]:
    """For each digits split: image bytes → the labels that image has in that split."""
    digits = load_dataset(DataConfig(name="digits", seed=seed))
    out = {}
    for split in ("train", "val", "test"):
        table: dict[bytes, set[int]] = {}
        for x, y in zip(digits.split(split).numpy(), digits.labels[split], strict=True):
            table.setdefault(x[0].tobytes(), set()).add(int(y))
        out[split] = table
    return out


def test_shapes_sizes_range_and_declarations(stacked):
    assert stacked.train.shape == (20_000, 3, 8, 8) and stacked.train.dtype == torch.float32
    assert stacked.val.shape == stacked.test.shape == (10_000, 3, 8, 8)  # the reference does not follow n_points
    assert stacked.train.min() >= -1 and stacked.train.max() <= 1
    assert stacked.n_classes == 1000 and stacked.kind == "image"
    assert stacked.features == "stacked_digits" and "stacked_modes" in stacked.metrics


def test_every_channel_is_a_digit_of_the_same_split_and_the_label_spells_the_three_digits(stacked):
    digits = _images_by_split()
    for split in ("train", "val", "test"):
        x, y = stacked.split(split).numpy()[:3000], stacked.labels[split][:3000]
        for c, place in enumerate((100, 10, 1)):
            for img, label in zip(x[:, c], y, strict=True):
                # a test digit never reaches train: every channel is an image of its own split
                assert img.tobytes() in digits[split], f"{split} channel {c} is not a {split} digit"
                assert (label // place) % 10 in digits[split][img.tobytes()]


def test_all_modes_present_and_roughly_uniform(stacked):
    counts = np.bincount(stacked.labels["train"], minlength=1000)
    assert (counts > 0).all()  # 20 per mode on average: P(a mode empty) ≈ e^−20
    # each channel's digit is uniform over the split's digits, whose classes are balanced (stratified split)
    for place in (100, 10, 1):
        share = np.bincount((stacked.labels["train"] // place) % 10, minlength=10) / len(stacked.train)
        assert np.all(np.abs(share - 0.1) < 0.01)


def test_channels_are_drawn_independently(stacked):
    d = np.stack([(stacked.labels["train"] // p) % 10 for p in (100, 10, 1)], axis=1)
    joint = np.bincount(d[:, 0] * 10 + d[:, 1], minlength=100).reshape(10, 10) / len(d)
    outer = np.outer(np.bincount(d[:, 0], minlength=10), np.bincount(d[:, 1], minlength=10)) / len(d) ** 2
    assert np.abs(joint - outer).max() < 0.005


def test_seeded_and_deterministic(stacked):
    again = load_dataset(DataConfig(name="stacked_digits", n_points=20_000))
    assert torch.equal(again.train, stacked.train) and torch.equal(again.test, stacked.test)
    other = load_dataset(DataConfig(name="stacked_digits", n_points=20_000, seed=1))
    assert not torch.equal(other.train, stacked.train)
    # splits are separate streams: train and test do not repeat each other's draws
    assert not np.array_equal(stacked.labels["train"][:100], stacked.labels["test"][:100])


def test_too_large_a_training_set_is_refused():
    with pytest.raises(GanlabError, match="n_points"):
        load_dataset(DataConfig(name="stacked_digits", n_points=20_000_000))
