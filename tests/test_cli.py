"""The command line as a user meets it: one-line errors, listings, a tiny run, sampling."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.cli import main

TINY = ["data.name=ring8", "data.n_points=256", "model.width=8", "model.depth=1", "train.steps=4", "train.batch_size=16",
        "train.log_every=2", "train.progress=false"]


def run_cli(*args, cwd=None):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "ganlab", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["train", "train.lr_dd=1e-3"], 'unknown key "config.train.lr_dd" (did you mean "lr_d"?)'),
        (["train", "game.objective=non_saturatin"], 'unknown objective "non_saturatin" (did you mean "non_saturating"?)'),
        (["train", "data.name=npz", "data.path=/no/such/file.npz"], "data file /no/such/file.npz does not exist"),
        (["train", "missing.yaml"], "config file missing.yaml does not exist"),
        (["sample", "/no/such/run"], "is not a ganlab run folder"),
        (["list", "objectivs"], 'did you mean "objectives"'),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args, needle, tmp_path):
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert needle in lines[0] and "Traceback" not in res.stderr


def test_list_shows_names_with_formulas(capsys):
    assert main(["list", "objectives"]) == 0
    out = capsys.readouterr().out
    for name in ("minimax", "non_saturating", "max_likelihood", "least_squares", "hinge", "wasserstein"):
        assert f"  {name} " in out
    assert "L_G = −E log σ(d_f)" in out
    assert main(["list", "penalties"]) == 0
    assert "(γ/2) E" in capsys.readouterr().out


def test_dry_run_prints_resolved_config(capsys):
    assert main(["train", "--dry-run", "train.steps=7"]) == 0
    out = capsys.readouterr().out
    assert "steps: 7" in out and "objective: non_saturating" in out


def test_train_then_sample(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--quiet"]) == 0
    for name in ("config.yaml", "log.jsonl", "samples.png", "losses.png", "metrics.json"):
        assert (out / name).is_file(), name
    assert list((out / "checkpoints").glob("step_*.pt"))
    grid = tmp_path / "grid.png"
    assert main(["sample", str(out), "--n", "16", "--out", str(grid)]) == 0
    assert grid.stat().st_size > 1000
    assert Path(grid).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same folder again is refused, resuming it is not
    assert main(["train", *TINY, "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "train.steps=6", "--quiet"]) == 0
