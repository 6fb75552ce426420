"""Conditional runs on the command line: each bad input is one line with exit 2 before any work
(unlabelled data, an image folder without class sub-folders, labels out of range, --class on an
unconditional run or out of range, an AC-GAN D without its term), and sampling by class."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.cli import main
from tests.data.test_labels import _folder
from tests.helpers import one_error_line

TINY = ["data.name=digits", "model.z_dim=4", "model.width=8", "train.batch_size=16", "train.steps=2", "train.progress=false",
        "eval.metrics=[]", "train.sample_every=0"]  # fmt: skip


def error(capsys, argv) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    return one_error_line(capsys)


def test_bad_conditional_inputs(tmp_path, capsys):
    assert "ring8 has none" in error(capsys, ["train", "--dry-run", "configs/conditional_digits.yaml", "data.name=ring8"])
    flat = _folder(tmp_path / "flat", {"": 20})
    line = error(capsys, ["train", "--dry-run", "model.conditional=true", "data.name=folder", f"data.path={flat}", "data.resolution=8"])
    assert "one sub-folder per class" in line
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "y.npz", x=rng.normal(size=(40, 2)).astype(np.float32), y=np.r_[np.zeros(39, int), 12] - 1)
    assert "label -1 is out of range" in error(capsys, ["train", "--dry-run", "data.name=npz", f"data.path={tmp_path / 'y.npz'}"])
    assert "acgan" in error(capsys, ["train", "--dry-run", "model.conditional=true", "model.d_cond=acgan"])
    assert "AC-GAN discriminator" in error(capsys, ["train", "--dry-run", "game.penalties=[{name: acgan}]"])
    assert "class-conditional generator" in error(capsys, ["train", "--dry-run", "eval.metrics=[class_accuracy]"])
    assert not any(tmp_path.glob("runs*"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cond")
    assert main(["train", *TINY, "--out", str(root / "plain"), "--quiet"]) == 0
    assert main(["train", *TINY, "model.conditional=true", "--out", str(root / "cond"), "--quiet"]) == 0
    return root


def test_sample_by_class(runs, capsys, tmp_path):
    assert "unconditional run" in error(capsys, ["sample", str(runs / "plain"), "--class", "3", "--out", str(tmp_path / "a.png")])
    assert "out of range" in error(capsys, ["sample", str(runs / "cond"), "--class", "10", "--out", str(tmp_path / "a.png")])
    assert not (tmp_path / "a.png").exists()
    assert main(["sample", str(runs / "cond"), "--class", "3", "--n", "8", "--out", str(tmp_path / "three.npy")]) == 0
    x = np.load(tmp_path / "three.npy")
    assert x.shape == (8, 1, 8, 8)
    assert main(["sample", str(runs / "cond"), "--out", str(tmp_path / "grid.png")]) == 0  # one row per class
    assert main(["sample", str(runs / "cond"), "--class", "3", "--out", str(tmp_path / "three.png")]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 0 and (tmp_path / "three.png").stat().st_size > 0
