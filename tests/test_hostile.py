"""Hostile input at the command line: every bad argument or file is refused before any work with
exit code 2 and one ``ganlab: error: …`` line, within a deadline (no hang), and no run data is
lost or rewritten. Each call runs in-process through ``ganlab.cli.main``.
"""

import hashlib
import os
import pickle

import numpy as np
import pytest
import torch

from ganlab.api import train
from ganlab.cli import main
from ganlab.config import make_config
from tests.helpers import deadline, one_error_line

BASE = ["data.name=ring8", "data.n_points=256", "model.z_dim=2", "model.width=8", "model.depth=1", "train.batch_size=16",
        "train.steps=10", "train.checkpoint_every=5", "train.sample_every=0", "train.progress=false", "eval.metrics=[]"]  # fmt: skip


def snapshot(folder):
    """sha256 of every file under ``folder``, by relative path: what "nothing changed" means."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}  # fmt: skip


def refused(capsys, *argv, seconds=20.0):
    """Run ``ganlab argv``: exit 2 with one error line, within ``seconds``; returns the line."""
    with deadline(seconds):
        code = main([str(a) for a in argv])
    line = one_error_line(capsys)
    assert code == 2, line
    return line


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train(make_config(overrides=BASE), tmp_path_factory.mktemp("hostile") / "run", quiet=True)


# --- YAML: alias bombs, duplicate keys, deep nesting ------------------------------------------
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                                        for p, c in zip("abcdefgh", "bcdefghi"))  # fmt: skip


def test_alias_bomb_in_a_config_file_is_refused_at_once(tmp_path, capsys):
    path = tmp_path / "bomb.yaml"
    path.write_text("game:\n  params:\n    " + BOMB.replace("\n", "\n    "))
    line = refused(capsys, "train", path, "--dry-run", seconds=15)
    assert "alias" in line and len(line) < 300


def test_alias_bomb_as_an_override_value_is_refused_at_once(capsys):
    value = "{" + ", ".join(part.replace(": ", ": ", 1) for part in BOMB.strip().split("\n")) + "}"
    line = refused(capsys, "train", f"game.params={value}", "--dry-run", seconds=15)
    assert "alias" in line and len(line) < 300


def test_duplicate_keys_are_refused(tmp_path, capsys):
    path = tmp_path / "dup.yaml"
    path.write_text("train:\n  steps: 5\n  lr_d: 1e-3\n  steps: 7\n")
    line = refused(capsys, "train", path, "--dry-run")
    assert "'steps' appears twice" in line and "line 4" in line


def test_5000_deep_nesting_is_refused(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("game:\n  params: " + "[" * 5000 + "]" * 5000 + "\n")
    line = refused(capsys, "train", path, "--dry-run", seconds=15)
    assert "deeper than" in line
    line = refused(capsys, "train", "game.params=" + "{a: " * 5000 + "1" + "}" * 5000, "--dry-run", seconds=15)
    assert "deeper than" in line


def test_a_long_bad_value_is_echoed_cut_short(capsys):
    line = refused(capsys, "train", "train.steps=[" + ", ".join(["123456789"] * 20000) + "]", "--dry-run")
    assert len(line) < 400


def test_a_non_utf8_config_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"train:\n  steps: 5 # \xe9t\xe9\n")
    assert "not UTF-8" in refused(capsys, "train", path, "--dry-run")


# --- validation before work -------------------------------------------------------------------
@pytest.mark.parametrize("overrides, words", [
    (["game.penalties=[{name: r1, every: 0}]"], "every must be at least 1"),
    (["game.penalties=[{name: gp, lam: -10}]"], "lam must be at least 0"),
    (["model.width=100000", "model.depth=4"], "GiB"),  # 3 × 10^10 parameters
    (["train.simultaneous=true", "train.precision=bf16"], "simultaneous"),
])  # fmt: skip
def test_dry_run_and_train_refuse_the_same_combinations(tmp_path, capsys, overrides, words):
    args = [*BASE, *overrides]
    assert words in refused(capsys, "train", *args, "--dry-run")
    assert words in refused(capsys, "train", *args, "--out", tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_memory_estimate_counts_weights_gradients_and_optimiser_state():
    from ganlab.resources import memory_estimate

    cfg = make_config(overrides=BASE)  # Adam for both, EMA on
    # G: weights + grads + 2 Adam moments + EMA copy = 5 copies; D: 4 copies; 4 bytes each
    assert memory_estimate(cfg, 1000, 10) == 4 * (1000 * 5 + 10 * 4)
    cfg = make_config(overrides=[*BASE, "train.optimizer_d=sgd", "train.ema=null", "train.runs=3"])
    assert memory_estimate(cfg, 1000, 10) == 4 * (1000 * 4 + 10 * 2) * 3


def test_empty_evaluation_split_is_refused_before_training(tmp_path, capsys):
    from PIL import Image

    for i in range(3):  # 10 % of 3 images is 0: an empty test split
        Image.fromarray(np.full((16, 16, 3), 40 * i, np.uint8)).save(tmp_path / f"{i}.png")
    args = ["data.name=folder", f"data.path={tmp_path}", "data.resolution=16", "train.batch_size=2", "train.progress=false"]
    line = refused(capsys, "train", *args, "--dry-run")
    assert "test split" in line and "is empty" in line
    assert "is empty" in refused(capsys, "train", *args, "--out", tmp_path / "r")
    assert not (tmp_path / "r").exists()


# --- train: --resume with --out, data never lost ----------------------------------------------
def test_resume_with_out_is_refused_and_the_run_untouched(run, tmp_path, capsys):
    before = snapshot(run)
    line = refused(capsys, "train", "--resume", run, "--out", tmp_path / "other", "train.steps=30", "--quiet")
    assert "--out cannot be combined with --resume" in line
    assert snapshot(run) == before and not (tmp_path / "other").exists()


# --- sample -----------------------------------------------------------------------------------
@pytest.mark.parametrize("out, words", [("nodir/x.npy", "does not exist"), ("grid.jpeg2", "unknown suffix"),
                                        ("grid", "unknown suffix"), (".", "is a folder")])  # fmt: skip
def test_sample_output_is_checked_before_work(run, tmp_path, capsys, monkeypatch, out, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir.png").mkdir()
    assert words in refused(capsys, "sample", run, "--out", out)
    assert "is a folder" in refused(capsys, "sample", run, "--out", "adir.png")


def test_sample_refuses_to_overwrite_a_runs_own_files(run, capsys):
    before = snapshot(run)
    assert "would overwrite a file of the run" in refused(capsys, "sample", run, "--out", run / "samples.png")
    assert snapshot(run) == before


def test_sample_bad_counts(run, tmp_path, capsys):
    assert "--n must be at least 1" in refused(capsys, "sample", run, "--n", -5, "--out", tmp_path / "s.png")


# --- eval -------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--n", "-5"], "--n must be at least 2"),
    (["--device", "gpu"], "unknown --device"),
    (["--out", "result.txt"], "unknown suffix"),
    (["--out", "nodir/result.json"], "does not exist"),
])  # fmt: skip
def test_eval_arguments_are_checked_before_work(run, tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    assert words in refused(capsys, "eval", run, *argv, seconds=15)


def test_eval_out_pointing_at_the_run_is_refused(run, capsys):
    before = snapshot(run)
    assert "is a folder" in refused(capsys, "eval", run, "--out", run, seconds=15)
    assert "would overwrite a file of the run" in refused(capsys, "eval", run, "--out", run / "metrics.json", seconds=15)
    assert snapshot(run) == before


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


@pytest.mark.parametrize("legacy", [False, True])
def test_feature_weights_that_could_run_code_are_refused_by_behaviour(run, tmp_path, capsys, monkeypatch, legacy):
    monkeypatch.chdir(tmp_path)
    torch.save({"w": torch.ones(2), "x": _Boom()}, tmp_path / "evil.pt", _use_new_zipfile_serialization=not legacy)
    line = refused(capsys, "eval", run, "--feature-weights", tmp_path / "evil.pt", seconds=15)
    assert "could run code" in line and "system" in line
    assert not (tmp_path / "PWNED").exists()


# --- dynamics ---------------------------------------------------------------------------------
def test_dynamics_out_is_checked_before_the_simulation(tmp_path, capsys, run):
    (tmp_path / "file").write_text("x")
    assert "is a file" in refused(capsys, "dynamics", "--objective", "non_saturating", "--out", tmp_path / "file", seconds=15)
    assert "run's folder" in refused(capsys, "dynamics", "--objective", "non_saturating", "--out", run, seconds=15)


def test_dynamics_steps_beyond_memory_are_refused(capsys):
    line = refused(capsys, "dynamics", "--objective", "non_saturating", "--steps", 10**11, seconds=15)
    assert "GiB" in line and "--steps" in line
    assert "invalid int" in refused(capsys, "dynamics", "--objective", "non_saturating", "--steps", "1e11", seconds=15)


# --- report -----------------------------------------------------------------------------------
def test_report_on_garbage_log_and_metrics_files(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "log.jsonl").write_bytes(b"\xff\xfe\x00garbage\n{not json\n" + bytes(range(256)))
    (copy / "metrics.json").write_bytes(b"\xff\xfe\x00\x01")
    (copy / "config.yaml").write_bytes((copy / "config.yaml").read_bytes() + b"# \xe9\n")
    with deadline(20):
        code = main(["report", str(copy), "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert code == 0 or (len(err.strip().splitlines()) == 1 and err.startswith("ganlab: error: ")), err
    assert "--out" in refused(capsys, "report", run, "--out", tmp_path / "nodir" / "r.html")
    assert "unknown suffix" in refused(capsys, "report", run, "--out", tmp_path / "r.txt")


# --- geometry ---------------------------------------------------------------------------------
def test_geometry_localized_text_file_is_one_line(tmp_path, capsys):
    text = tmp_path / "text.txt"
    text.write_text("hello, not a Localized GAN\n")
    line = refused(capsys, "geometry", "ssl", "--quick", "--seeds", 1, "--localized", text, "--out", tmp_path / "g", seconds=20)
    assert "text.txt" in line and not (tmp_path / "g").exists()
    assert "does not exist" in refused(capsys, "geometry", "ssl", "--localized", tmp_path / "none.pt", "--out", tmp_path / "g")


def test_geometry_localized_that_could_run_code_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.save({"schema": 1, "kind": "localized_gan", "x": _Boom()}, tmp_path / "evil.pt")
    line = refused(capsys, "geometry", "ssl", "--quick", "--seeds", 1, "--localized", tmp_path / "evil.pt", "--out", tmp_path / "g")
    assert "could run code" in line
    assert not (tmp_path / "PWNED").exists()


# --- experiment -------------------------------------------------------------------------------
def test_experiment_arguments(tmp_path, capsys, run):
    assert "--seeds must be at least 1" in refused(capsys, "experiment", "dirac", "--seeds", 0, "--out", tmp_path / "e")
    assert "run's folder" in refused(capsys, "experiment", "dirac", "--out", run)
    assert "--workers must be at least 1" in refused(capsys, "experiment", "modes", "--workers", 0, "--out", tmp_path / "e")
    assert "add --executor ray" in refused(capsys, "experiment", "modes", "--ray-address", "h:6379", "--out", tmp_path / "e")
    assert not (tmp_path / "e").exists()


def test_experiment_on_ray_without_ray_is_one_line(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    line = refused(capsys, "experiment", "modes", "--executor", "ray", "--out", tmp_path / "e")
    assert "--executor ray needs Ray" in line and "pip install 'ganlab[ray]'" in line
    assert not (tmp_path / "e").exists()


def test_pickle_refusal_does_not_depend_on_torchs_wording(tmp_path, monkeypatch):
    """The message comes from the file's content: torch's error text is replaced by another one."""
    from ganlab import GanlabError
    from ganlab.train import checkpoint

    torch.save({"schema": 1, "x": _Boom()}, tmp_path / "evil.pt")
    real = torch.load

    def reworded(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except pickle.UnpicklingError:
            raise pickle.UnpicklingError("some future wording that names nothing") from None

    monkeypatch.setattr(torch, "load", reworded)
    with pytest.raises(GanlabError, match="could run code") as err:
        checkpoint.load_checkpoint(tmp_path / "evil.pt")
    assert "system" in str(err.value)
    (tmp_path / "junk.pt").write_bytes(b"\x80\x04junk that is no pickle")
    with pytest.raises(GanlabError, match="corrupt"):
        checkpoint.load_checkpoint(tmp_path / "junk.pt")


def test_what_ganlab_writes_as_yaml_it_reads_back():
    from ganlab.serial import dump_yaml, load_yaml_text

    shared = [1, 2]
    value = {"a": shared, "b": shared, "c": {"d": shared}}  # one object referenced thrice: no anchor is written
    text = dump_yaml(value)
    assert "&" not in text and "*" not in text
    assert load_yaml_text(text) == value
