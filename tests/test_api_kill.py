"""Killed at any moment, nothing is lost: `python -m ganlab train` subprocesses are SIGKILLed at
random steps and resumed with --resume, or stopped with SIGTERM, and end with the weights of an
uninterrupted run, bit for bit, and the same log.

The kill steps are random; set GANLAB_KILL_SEED to replay a failure (the seed is in the message).
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from ganlab.api import train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.serial import read_jsonl
from ganlab.train.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint

CHECKPOINT_EVERY = 7  # not a multiple of log_every: kills land between logs, checkpoints and both
CFG = [
    "data.name=ring8",
    "data.n_points=512",
    "model.z_dim=2",
    "model.width=16",
    "model.depth=2",
    "train.batch_size=32",
    "train.steps=300",
    "train.log_every=5",
    f"train.checkpoint_every={CHECKPOINT_EVERY}",
    "train.sample_every=0",
    "train.progress=false",
    "game.penalties=[{name: r1, gamma: 1}]",  # R1 and n_critic 2: every random stream is in play
    "train.n_critic=2",
    "eval.metrics=[]",  # the end-of-run evaluation is tested with the metrics; here it only costs time
]
# one intra-op thread, as in this process (tests/conftest.py), so that results compare bit for bit
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run, trained in this process by the same code."""
    return train(make_config(overrides=CFG), tmp_path_factory.mktemp("ref") / "run", quiet=True)


def launch(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "ganlab", "train", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )


def last_logged_step(out) -> int:
    records = [r for r in read_jsonl(out / "log.jsonl") if "D/loss" in r]
    return records[-1]["step"] if records else 0


def inode(path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def wait_until_trained_to(proc, out, step, old_config, timeout=120.0) -> int | None:
    """The step last logged by ``proc`` once it logs ``step`` or later; None if it exited first.
    A resumed process rewrites config.yaml (a new inode) after cutting the log back, so older
    records of the killed process are not mistaken for its progress."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        current = inode(out / "config.yaml")
        if current is not None and current != old_config:
            logged = last_logged_step(out)
            if logged >= step:
                return logged
        time.sleep(0.003)
    proc.kill()
    raise AssertionError(f"no progress to step {step} within {timeout} s: {proc.communicate()[1][-2000:]}")


def assert_same_run(ref, out, context):
    a = load_checkpoint(list_checkpoints(ref / "checkpoints")[-1][1])
    b = load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1])
    assert a["step"] == b["step"] == 300, context
    for key in ("G", "D"):
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), f"{key}.{name} differs; {context}"
    for name in a["ema"]["model"]:
        assert torch.equal(a["ema"]["model"][name], b["ema"]["model"][name]), f"EMA {name} differs; {context}"
    for key in ("opt_g", "opt_d"):
        for sa, sb in zip(a[key]["state"].values(), b[key]["state"].values()):
            assert torch.equal(sa["exp_avg_sq"], sb["exp_avg_sq"]), context

    def records(run):
        return [{k: v for k, v in r.items() if k != "time"} for r in read_jsonl(run / "log.jsonl")]

    assert records(ref) == records(out), f"the logs differ; {context}"
    leftovers = [p.name for p in (out / "checkpoints").iterdir() if ".tmp-" in p.name]
    assert not leftovers, leftovers


def test_sigkill_at_random_steps_then_resume_is_exact(reference, tmp_path):
    seed = int(os.environ.get("GANLAB_KILL_SEED", time.time_ns() % 2**31))
    rng = random.Random(seed)
    targets = sorted(rng.sample(range(8, 260), 5))
    out = tmp_path / "run"
    kills = []
    for i, target in enumerate(targets):
        old = inode(out / "config.yaml")
        proc = launch(*CFG, "--out", str(out)) if i == 0 else launch("--resume", str(out))
        logged = wait_until_trained_to(proc, out, target, old)
        assert logged is not None, f"exited before step {target} (seed {seed}): {proc.communicate()[1][-2000:]}"
        time.sleep(rng.uniform(0.0, 0.05))  # anywhere: in a step, a log write, a checkpoint write
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        assert proc.returncode == -signal.SIGKILL
        found = latest_checkpoint(out / "checkpoints")
        resumed_from = found[1].name if found else "no checkpoint (start over)"
        kills.append((logged, resumed_from))
        # at most one checkpoint interval lost: the checkpoint before the last logged step exists
        assert found is not None and found[0]["step"] >= logged - CHECKPOINT_EVERY, (seed, kills)
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert_same_run(reference, out, f"seed {seed}, kills (last logged step, resumed from) {kills}")


def test_sigterm_checkpoints_exits_cleanly_and_resumes_exactly(reference, tmp_path, capsys):
    out = tmp_path / "run"
    proc = launch(*CFG, "--out", str(out))
    logged = wait_until_trained_to(proc, out, 100, None)
    assert logged is not None, proc.communicate()[1][-2000:]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err  # a clean stop (see `ganlab train --help`, exit codes)
    assert "Traceback" not in err
    stopped = [line for line in err.splitlines() if line.startswith("stopped at step")]
    assert len(stopped) == 1 and stopped[0].endswith(f"checkpoint saved. Resume with: ganlab train --resume {out}"), err
    step = int(stopped[0].split()[3].rstrip(";"))
    assert step >= logged and list_checkpoints(out / "checkpoints")[-1][0] == step  # saved where it stopped
    assert not (out / "metrics.json").exists()
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert_same_run(reference, out, f"SIGTERM at step {step}")
    assert json.loads((out / "metrics.json").read_text())["step"] == 300
