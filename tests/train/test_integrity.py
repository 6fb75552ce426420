"""Integrity of what a run writes: every checkpoint carries the sha256 of its payload, checked on
load (a flipped bit is a damaged file: resume falls back to the previous checkpoint with a
warning naming it); a run folder is created complete or not at all, whenever the process is
killed; a resume deletes every temporary file left in the folder and keeps keep_checkpoints.
"""

import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import zipfile

import pytest
import torch

from ganlab import GanlabError
from ganlab.api import resume, train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.serial import read_jsonl
from ganlab.train import checkpoint as ckpt
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from tests.helpers import assert_same_weights, without_time

CFG = ["data.name=ring8", "data.n_points=256", "model.z_dim=2", "model.width=8", "model.depth=1", "train.batch_size=16",
       "train.steps=20", "train.log_every=5", "train.checkpoint_every=5", "train.sample_every=0", "train.progress=false",
       "eval.metrics=[]"]  # fmt: skip
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return train(make_config(overrides=CFG), tmp_path_factory.mktemp("ref") / "run", quiet=True)


def member_data(path, name):
    """(offset, size) of a stored zip member's bytes in the file (torch stores them uncompressed)."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
        assert info.compress_type == zipfile.ZIP_STORED
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len, info.file_size


def flip_a_weight_bit(path):
    """Flip one bit inside the stored bytes of a network weight, in place (what bit rot does);
    returns the name of the weight that changed, checked by loading without the checksum."""
    original = torch.load(path, weights_only=True)
    with zipfile.ZipFile(path) as z:
        members = sorted((n for n in z.namelist() if "/data/" in n), key=lambda n: -z.getinfo(n).file_size)
    for name in members:
        offset, size = member_data(path, name)
        with open(path, "r+b") as f:
            f.seek(offset + size // 2)
            byte = f.read(1)[0]
            f.seek(offset + size // 2)
            f.write(bytes([byte ^ 0x10]))
        damaged = torch.load(path, weights_only=True)
        changed = [f"{net}.{k}" for net in ("G", "D") for k in original[net] if not torch.equal(original[net][k], damaged[net][k])]
        if changed:
            return changed
        with open(path, "r+b") as f:  # not a weight of G or D: put it back, try the next storage
            f.seek(offset + size // 2)
            f.write(bytes([byte]))
    pytest.fail("no storage of G or D found in the checkpoint")


# --- the checksum -------------------------------------------------------------------------------
def test_checksum_is_stored_and_checked(tmp_path):
    state = {"step": 3, "G": {"w": torch.arange(6.0).reshape(2, 3)}, "opt": {"state": {0: {"m": torch.ones(2, dtype=torch.bfloat16)}}},
             "rng": torch.ByteTensor([1, 2, 3]), "note": "x", "best": None, "pair": (1, 2.5)}  # fmt: skip
    save_checkpoint(state, tmp_path / "a.pt")
    raw = torch.load(tmp_path / "a.pt", weights_only=True)
    assert len(raw[ckpt.DIGEST]) == 64 and raw[ckpt.DIGEST] == ckpt.digest(raw)
    loaded = load_checkpoint(tmp_path / "a.pt")
    assert ckpt.DIGEST not in loaded and torch.equal(loaded["G"]["w"], state["G"]["w"])
    # the digest sees every value: any one changed leaf changes it
    base = ckpt.digest({"schema": 1, **state})
    for change in ({"step": 4}, {"note": "y"}, {"pair": (1, 2.5000001)}, {"rng": torch.ByteTensor([1, 2, 4])},
                   {"G": {"w": torch.arange(6.0).reshape(3, 2)}}, {"G": {"v": torch.arange(6.0).reshape(2, 3)}}):  # fmt: skip
        assert ckpt.digest({"schema": 1, **state, **change}) != base, change


def test_digest_of_a_tensor_is_the_sha256_of_its_bytes():
    """Against an independent computation: hashlib over the same framing and numpy's bytes."""
    t = torch.tensor([1.5, -2.0, 3.25])
    expected = hashlib.sha256()
    expected.update(b"D1")
    expected.update(b"str:'w';")
    expected.update(b"Ttorch.float32(3,)")
    expected.update(t.numpy().tobytes())
    assert ckpt.digest({"w": t}) == expected.hexdigest()


def test_a_checkpoint_without_a_digest_still_loads(tmp_path):
    buf = io.BytesIO()
    torch.save({"schema": ckpt.SCHEMA, "step": 1, "G": {"w": torch.ones(2)}}, buf)  # as ganlab wrote them before
    (tmp_path / "old.pt").write_bytes(buf.getvalue())
    assert load_checkpoint(tmp_path / "old.pt")["step"] == 1


def test_a_flipped_weight_bit_is_caught_and_resume_falls_back(reference, tmp_path, capsys):
    out = tmp_path / "run"
    train(make_config(overrides=[*CFG, "train.steps=15"]), out, quiet=True)
    newest = list_checkpoints(out / "checkpoints")[-1][1]
    assert flip_a_weight_bit(newest)
    with pytest.raises(GanlabError, match="fails its sha256 checksum"):
        load_checkpoint(newest)
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "train.steps=20", "--quiet"]) == 0
    warnings = [w for w in capsys.readouterr().err.splitlines() if newest.name in w]
    assert warnings and any("checksum" in w for w in warnings), warnings
    assert (out / "checkpoints" / f"{newest.name}.bad").exists()  # set aside, not silently overwritten
    assert_same_weights(load_checkpoint(list_checkpoints(reference / "checkpoints")[-1][1]),
                        load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1]))  # fmt: skip
    assert without_time(read_jsonl(reference / "log.jsonl")) == without_time(read_jsonl(out / "log.jsonl"))


def test_best_checkpoint_carries_the_digest_of_its_step(tmp_path):
    out = train(make_config(overrides=[*CFG, "train.steps=10", "train.eval_every=5", "train.eval_n=32", "eval.metrics=[mode_coverage]",
                                       "train.best_metric=modes"]), tmp_path / "run", quiet=True)  # fmt: skip
    best = torch.load(out / "checkpoints" / "best.pt", weights_only=True)
    assert best[ckpt.DIGEST] == ckpt.digest(best)
    assert load_checkpoint(out / "checkpoints" / "best.pt")["step"] == best["step"]


# --- temporary files and retention on resume ------------------------------------------------------
def test_resume_deletes_every_temporary_file_and_keeps_keep_checkpoints(reference, tmp_path):
    out = tmp_path / "run"
    train(make_config(overrides=[*CFG, "train.steps=15", "train.keep_checkpoints=2"]), out, quiet=True)
    # a kill after writing step 15 and before pruning leaves 3 checkpoints; kills mid-write leave temporary files
    shutil.copy(reference / "checkpoints" / "step_00000010.pt", out / "checkpoints" / "step_00000005.pt")
    partials = [out / f".log.jsonl.tmp-{os.getpid()}", out / ".config.yaml.tmp-1", out / ".metrics.json.tmp-99",
                out / "checkpoints" / ".step_00000020.pt.tmp-7", out / "samples" / ".step_00000020.png.tmp-7"]  # fmt: skip
    for p in partials:
        p.write_bytes(b"half")
    resume(out, ["train.steps=20", "train.keep_checkpoints=2"], quiet=True)
    assert not [p for p in partials if p.exists()]
    assert [s for s, _ in list_checkpoints(out / "checkpoints")] == [15, 20]
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


# --- atomic creation: SIGKILL at each step of making the folder -------------------------------------
KILLER = """
import os, signal, sys
from ganlab.cli import main
target, n = sys.argv[1], int(sys.argv[2])
real, calls = getattr(os, target), [0]
def killing(*args, **kwargs):
    calls[0] += 1
    if calls[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
setattr(os, target, killing)
sys.exit(main(sys.argv[3:]))
"""


def kill_at(target, n, *argv):
    proc = subprocess.run([sys.executable, "-c", KILLER, target, str(n), *argv], capture_output=True, text=True, env=ENV, timeout=120)
    return proc.returncode


def assert_absent_or_resumable(out, capsys):
    siblings = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    if out.exists():
        assert (out / "config.yaml").is_file(), sorted(p.name for p in out.rglob("*"))
        assert main(["train", "--resume", str(out), "--quiet"]) == 0, capsys.readouterr().err
    else:  # absent: the same command starts afresh, and clears what the killed one left beside it
        assert main(["train", *CFG, "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
        assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")], siblings
    # the old run (overwrite killed early) or the new one, trained to its own train.steps
    steps = load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1])["config"]["train"]["steps"]
    assert list_checkpoints(out / "checkpoints")[-1][0] == steps


# os.mkdir #1: the parent (it exists), #2: the temporary folder, #3, #4: its sub-folders;
# os.replace #1: config.yaml inside it, #2: the rename into place, #3 on: the run's own writes
@pytest.mark.parametrize("target, n", [("replace", 2)])
def test_killed_while_creating_the_folder(tmp_path, capsys, target, n):
    out = tmp_path / "run"
    assert kill_at(target, n, "train", *CFG, "--out", str(out), "--quiet") == -signal.SIGKILL
    assert_absent_or_resumable(out, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("target, n", [("mkdir", 1), ("mkdir", 2), ("mkdir", 3), ("mkdir", 4),
                                       ("replace", 1), ("replace", 3), ("replace", 4)])  # fmt: skip
def test_killed_at_every_step_of_creating_the_folder(tmp_path, capsys, target, n):
    out = tmp_path / "run"
    kill_at(target, n, "train", *CFG, "--out", str(out), "--quiet")
    assert_absent_or_resumable(out, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_killed_while_overwriting(tmp_path, capsys, n):
    out = train(make_config(overrides=[*CFG, "train.steps=5"]), tmp_path / "run", quiet=True)
    kill_at("replace", n, "train", *CFG, "train.seed=3", "--overwrite", "--out", str(out), "--quiet")
    assert_absent_or_resumable(out, capsys)


def test_a_folder_abandoned_mid_creation_by_an_older_ganlab_is_no_dead_end(tmp_path, capsys):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "samples").mkdir()
    assert main(["train", *CFG, "train.steps=5", "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    assert list_checkpoints(out / "checkpoints")[-1][0] == 5
    (tmp_path / "other" / "checkpoints").mkdir(parents=True)
    (tmp_path / "other" / "checkpoints" / "mine.txt").write_text("not ganlab's")  # something of the user's: refused, kept
    assert main(["train", *CFG, "--out", str(tmp_path / "other"), "--quiet"]) == 2
    assert (tmp_path / "other" / "checkpoints" / "mine.txt").read_text() == "not ganlab's"


def test_killed_while_a_resume_rewrites_the_log(reference, tmp_path, capsys):
    out = tmp_path / "run"
    train(make_config(overrides=[*CFG, "train.steps=15"]), out, quiet=True)
    with open(out / "log.jsonl", "a") as f:  # records after the newest checkpoint: the resume cuts them off
        f.write('{"step": 16, "D/loss": 1.0}\n')
    # os.replace #1 of a resume is the cut log's rename: killed with the new log written beside the old
    assert kill_at("replace", 1, "train", "--resume", str(out), "train.steps=20", "--quiet") == -signal.SIGKILL
    assert list(out.glob(".log.jsonl.tmp-*"))
    assert main(["train", "--resume", str(out), "train.steps=20", "--quiet"]) == 0, capsys.readouterr().err
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert_same_weights(load_checkpoint(list_checkpoints(reference / "checkpoints")[-1][1]),
                        load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1]))  # fmt: skip
    assert without_time(read_jsonl(reference / "log.jsonl")) == without_time(read_jsonl(out / "log.jsonl"))


def test_an_output_folder_that_cannot_be_made_is_refused_before_work(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    for argv in (["--dry-run"], []):
        assert main(["train", *CFG, "--out", str(tmp_path / "file" / "run"), *argv]) == 2
        assert "not a folder" in capsys.readouterr().err
