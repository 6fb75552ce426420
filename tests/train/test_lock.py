"""One writer per run folder: train, resume and overwrite take an OS lock (flock on RUN/.lock,
holding the PID); a second one is refused with one line naming that PID, while read-only
commands work, and the first run ends exactly as if alone. The kernel drops the lock when its
holder dies, so a SIGKILL never leaves a stale one.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from ganlab import GanlabError
from ganlab.api import resume, train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.serial import read_jsonl
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint
from ganlab.train.lock import lock_folder, try_lock
from tests.helpers import assert_same_weights, one_error_line, without_time

CFG = ["data.name=ring8", "data.n_points=256", "model.z_dim=2", "model.width=8", "model.depth=1", "train.batch_size=16",
       "train.steps=40", "train.log_every=5", "train.checkpoint_every=10", "train.sample_every=0", "train.progress=false",
       "eval.metrics=[]"]  # fmt: skip
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}


def launch(*args):
    return subprocess.Popen([sys.executable, "-m", "ganlab", "train", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)  # fmt: skip


def wait_for(predicate, proc, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(f"the first run ended before the test could stop it: {proc.communicate()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("timed out waiting for the first run")


def locked(folder) -> bool:
    if not (folder / ".lock").exists():
        return False
    lock = try_lock(folder)
    if lock is None:
        return True
    lock.release()
    return False


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_second_writer_is_refused_while_the_first_finishes_bit_identically(tmp_path, capsys):
    ref = train(make_config(overrides=CFG), tmp_path / "ref", quiet=True)
    out = tmp_path / "run"
    proc = launch(*CFG, "--out", str(out), "--quiet")
    try:
        # stopped (SIGSTOP) while it holds the lock after its first checkpoint: the moment is exact
        wait_for(lambda: locked(out) and list_checkpoints(out / "checkpoints"), proc)
        proc.send_signal(signal.SIGSTOP)
        before = files(out)
        assert (out / ".lock").read_text().strip() == str(proc.pid)

        assert main(["train", "--resume", str(out), "--quiet"]) == 2
        line = one_error_line(capsys)
        assert f"process {proc.pid}" in line and "in use" in line
        assert main(["train", *CFG, "train.seed=7", "--overwrite", "--out", str(out), "--quiet"]) == 2
        assert f"process {proc.pid}" in one_error_line(capsys)
        assert main(["train", *CFG, "--out", str(out), "--quiet"]) == 2
        assert "already exists" in one_error_line(capsys)
        assert files(out) == before  # nothing renamed to .bad, cut back or deleted

        # read-only commands work meanwhile
        assert main(["sample", str(out), "--n", "8", "--out", str(tmp_path / "s.npy")]) == 0
        assert main(["report", str(out), "--out", str(tmp_path / "r.html")]) == 0
        capsys.readouterr()
    finally:
        proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert_same_weights(load_checkpoint(list_checkpoints(ref / "checkpoints")[-1][1]),
                        load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1]))  # fmt: skip
    assert without_time(read_jsonl(ref / "log.jsonl")) == without_time(read_jsonl(out / "log.jsonl"))
    assert not locked(out)  # released at the end


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    (tmp_path / "run").mkdir()
    code = ("import sys, time; from ganlab.train.lock import lock_folder; lock = lock_folder(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(GanlabError, match=f"process {proc.pid}"):
            lock_folder(tmp_path / "run")
    finally:
        proc.kill()
        proc.wait()
    with lock_folder(tmp_path / "run") as lock:  # the kernel released it with the process
        assert lock.held and (tmp_path / "run" / ".lock").read_text().strip() == str(os.getpid())


def test_resume_takes_the_lock_and_releases_it(tmp_path):
    out = train(make_config(overrides=[*CFG, "train.steps=10"]), tmp_path / "run", quiet=True)
    with lock_folder(out):  # another holder (a second open file: flock excludes it even in this process)
        with pytest.raises(GanlabError, match=f"in use by process {os.getpid()}"):
            resume(out, ["train.steps=20"], quiet=True)
    assert load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1])["step"] == 10
    resume(out, ["train.steps=20"], quiet=True)
    assert load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1])["step"] == 20
    assert not locked(out)


def test_a_group_locks_its_folder_and_a_run_of_it_is_locked_through_it(tmp_path):
    out = train(make_config(overrides=[*CFG, "train.steps=10", "train.runs=2"]), tmp_path / "group", quiet=True)
    with lock_folder(out):
        with pytest.raises(GanlabError, match="group folder .* is in use"):
            resume(out, ["train.steps=20"], quiet=True)
        with pytest.raises(GanlabError, match="group folder .* is in use"):
            resume(out / "seed-0", ["train.steps=20"], quiet=True)
        with pytest.raises(GanlabError, match="is in use"):
            train(make_config(overrides=[*CFG, "train.steps=10", "train.runs=2", "train.seed=5"]), out, overwrite=True, quiet=True)
    assert sorted(p.name for p in out.glob("seed-*")) == ["seed-0", "seed-1"]
    resume(out, ["train.steps=20"], quiet=True)
    assert load_checkpoint(list_checkpoints(out / "seed-1" / "checkpoints")[-1][1])["step"] == 20
