"""A tiny sweep on the local executor: the table holds each cell's own group summary; a killed
sweep resumes, leaving finished cells byte for byte as they were."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest
import torch
from scipy import stats as sps

from ganlab.config import make_config, to_dict
from ganlab.serial import read_json
from ganlab.sweep import prepare, run_sweep
from ganlab.sweep.executors import run_cell
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint
from ganlab.train.folder import GroupFolder, RunFolder
from tests.sweep.conftest import CELLS, TINY_BASE, write_spec

STATS = ("mean", "std", "ci_low", "ci_high", "n")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def snapshot(folder):
    """Every file under ``folder``: relative path → (bytes, modification time in ns)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def final_weights(cell):
    out = {}
    for run in GroupFolder(cell).runs():
        step, path = list_checkpoints(run.checkpoints)[-1]
        out[run.path.name] = (step, load_checkpoint(path))
    return out


def test_the_table_holds_each_cells_group_summary(tiny_sweep):
    _, out = tiny_sweep
    rows = read_csv(out / "results.csv")
    assert [r["cell"] for r in rows] == list(CELLS)
    assert [r["game.objective"] for r in rows] == ["non_saturating", "hinge"]
    for r in rows:
        cell = out / r["cell"]
        group = GroupFolder(cell)
        assert group.is_group() and [p.path.name for p in group.runs()] == ["seed-0", "seed-1"]
        summary = group.read_summary()
        assert int(r["runs"]) == summary["n_runs"] == 2 and int(r["diverged"]) == summary["n_diverged"]
        assert summary["values"], "the tiny runs report metrics"
        for metric, d in summary["values"].items():
            for s in STATS:
                text = r[f"{metric}_{s}"]
                assert (text == "") if d[s] is None else (float(text) == d[s]), (r["cell"], metric, s, text, d[s])
        # independent of ganlab.stats: numpy's mean / sample std and scipy's t interval over the seeds' metrics.json
        per_seed = [read_json(run.metrics)["values"]["modes"] for run in group.runs()]
        mean, std = float(np.mean(per_seed)), float(np.std(per_seed, ddof=1))
        assert float(r["modes_mean"]) == pytest.approx(mean, abs=1e-12) and float(r["modes_std"]) == pytest.approx(std, abs=1e-12)
        if std > 0:
            lo, hi = sps.t.interval(0.95, len(per_seed) - 1, loc=mean, scale=std / np.sqrt(len(per_seed)))
            assert float(r["modes_ci_low"]) == pytest.approx(lo) and float(r["modes_ci_high"]) == pytest.approx(hi)
    md = (out / "results.md").read_text()
    for name in CELLS:
        assert sum(line.startswith(f"| {name} |") for line in md.splitlines()) == 1
    metrics = list(GroupFolder(out / CELLS[0]).read_summary()["values"])
    assert sorted(p.stem for p in (out / "plots").glob("*.png")) == sorted(metrics)


def test_each_cell_is_one_group_of_the_specs_config(tiny_sweep):
    _, out = tiny_sweep
    for name, objective in zip(CELLS, ("non_saturating", "hinge")):
        cfg = make_config(base=GroupFolder(out / name).runs()[1].read_config())
        assert cfg.game.objective == objective and cfg.train.seed == 1 and cfg.train.runs == 1
        assert cfg.train.steps == 20 and cfg.model.width == 16 and cfg.data.name == "ring8"
        assert make_config(base=GroupFolder(out / name).runs()[0].read_config()).train.seed == 0
        assert make_config(base=RunFolder(out / name).read_config()).train.runs == 2  # the group's own config


def test_a_killed_sweep_resumes_and_leaves_finished_cells_untouched(tiny_sweep, sweep_copy):
    spec, out = sweep_copy
    done, killed = out / CELLS[0], out / CELLS[1]
    before = snapshot(done)
    reference = final_weights(tiny_sweep[1] / CELLS[1])
    # killed after the step-10 checkpoint: no summary, no metrics, no step-20 checkpoint
    for p in [killed / "summary.json", killed / "summary.md", *killed.glob("seed-*/metrics.json"),
              *killed.glob("seed-*/checkpoints/step_00000020.pt")]:  # fmt: skip
        p.unlink()
    (out / "results.csv").unlink()
    assert [c.state for c in prepare(spec).cells] == ["done", "resume"]
    run_sweep(spec, workers=2, quiet=True)
    assert snapshot(done) == before
    resumed = final_weights(killed)
    for seed, (step, state) in reference.items():
        assert resumed[seed][0] == step == 20
        for net in ("G", "D"):
            for name, w in state[net].items():
                assert torch.equal(resumed[seed][1][net][name], w), (seed, net, name)
    assert GroupFolder(killed).read_summary()["values"] == GroupFolder(tiny_sweep[1] / CELLS[1]).read_summary()["values"]
    assert [r["cell"] for r in read_csv(out / "results.csv")] == list(CELLS)


def test_a_cell_killed_before_its_config_is_started_again(tiny_sweep, sweep_copy):
    spec, out = sweep_copy
    cell = out / CELLS[1]
    reference = GroupFolder(tiny_sweep[1] / CELLS[1]).read_summary()["values"]
    shutil.rmtree(cell)
    (cell / "seed-0" / "checkpoints").mkdir(parents=True)  # what a kill during the group's creation leaves
    plan = prepare(spec)
    assert [c.state for c in plan.cells] == ["done", "restart"]
    task = plan.cells[1]
    assert run_cell(str(cell), to_dict(task.config), task.state) == {"error": None}
    assert GroupFolder(cell).read_summary()["values"] == reference


def test_cells_of_one_seed_are_lone_runs_and_a_finished_sweep_trains_nothing(tmp_path):
    spec = write_spec(tmp_path / "one.yaml", out=str(tmp_path / "out"), seeds=1)
    for i, cell in enumerate(prepare(spec).cells):  # finished lone runs, written by hand: nothing may train them again
        run = RunFolder(cell.path)
        run.checkpoints.mkdir(parents=True)
        run.write_config(to_dict(cell.config))
        run.write_metrics({"values": {"modes": 3.0 + i, "hq": 0.25}})
    assert [c.state for c in prepare(spec).cells] == ["done", "done"]
    run_sweep(spec, quiet=True)
    rows = read_csv(tmp_path / "out" / "results.csv")
    assert [r["cell"] for r in rows] == list(CELLS)
    for i, r in enumerate(rows):
        assert (r["runs"], r["modes_mean"], r["modes_std"], r["modes_ci_low"], r["modes_n"]) == ("1", str(3.0 + i), "0.0", "", "1")
    assert not list((tmp_path / "out").glob("*/seed-*")) and not list((tmp_path / "out").glob("*/log.jsonl"))


@pytest.mark.slow
def test_a_sweep_killed_outright_resumes_to_the_same_table(tmp_path):
    """SIGKILL of the sweep process mid-training: its workers checkpoint and exit; the rerun ends with
    the table of a sweep never interrupted."""
    import os
    import signal
    import subprocess
    import sys
    import time

    base = {**TINY_BASE, "train.steps": 300, "train.checkpoint_every": 100}
    whole = write_spec(tmp_path / "whole.yaml", out=str(tmp_path / "whole"), base=base)
    killed = write_spec(tmp_path / "killed.yaml", out=str(tmp_path / "killed"), base=base)
    proc = subprocess.Popen([sys.executable, "-m", "ganlab", "sweep", str(killed), "--quiet"], env={**os.environ, "OMP_NUM_THREADS": "1"},
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline and len(list((tmp_path / "killed").glob("*/seed-0/checkpoints/step_*.pt"))) < 2:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(5)  # the orphaned workers notice within a second, checkpoint and exit
    assert not (tmp_path / "killed" / "results.csv").exists()
    assert "resume" in [c.state for c in prepare(killed).cells]
    run_sweep(killed, workers=2, quiet=True)
    run_sweep(whole, workers=2, quiet=True)
    assert (tmp_path / "killed" / "results.csv").read_text() == (tmp_path / "whole" / "results.csv").read_text()


def test_a_failed_cell_is_reported_and_the_others_are_tabulated(tmp_path, monkeypatch, capsys):
    from ganlab.cli import main

    def executor(tasks, done, workers=None):  # stands in for the pool: the hinge cell fails, nothing trains
        for t in tasks:
            done(t, {"error": "disk full — free some space"} if "hinge" in t.name else {"error": None})

    monkeypatch.setattr("ganlab.sweep.run.run_local", executor)
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"))
    assert main(["sweep", str(spec), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "ganlab: error: 1 of 2 cells failed; objective-hinge: disk full — free some space" in err
    rows = read_csv(tmp_path / "out" / "results.csv")
    assert [r["cell"] for r in rows] == list(CELLS) and rows[0]["runs"] == rows[1]["runs"] == ""  # neither finished


def test_a_cell_task_returns_its_error_as_text(tmp_path):
    result = run_cell(str(tmp_path / "nothing"), {}, "resume")
    assert "is not a ganlab run folder" in result["error"]
