"""An experiment's cells in worker processes: the same results as in this process, kept and reused
only when their inputs match, errors passed on, and the workers' CPU time counted."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import pytest

from ganlab.experiments.base import cpu_seconds
from ganlab.experiments.parallel import CELLS, map_cells


def test_pool_and_inline_agree_in_job_order() -> None:
    jobs = [(n,) for n in (12, 3, 20, 0, 7)]
    assert map_cells(math.factorial, jobs, workers=2) == map_cells(math.factorial, jobs) == [math.factorial(n) for n, in jobs]


def test_cells_are_kept_and_reused_only_when_their_inputs_match(tmp_path: Path) -> None:
    assert map_cells(math.factorial, [(5,), (6,)], folder=tmp_path) == [120, 720]
    files = sorted((tmp_path / CELLS).glob("*.json"))
    assert len(files) == 2
    kept = {json.loads(f.read_text())["inputs"]["args"][0]: f for f in files}
    record = json.loads(kept[5].read_text())
    kept[5].write_text(json.dumps({**record, "result": "from the file"}))
    assert map_cells(math.factorial, [(5,), (6,)], folder=tmp_path) == ["from the file", 720]  # reused, not recomputed
    kept[5].write_text(json.dumps({**record, "inputs": {**record["inputs"], "ganlab": "0.0.0"}, "result": "stale"}))
    assert map_cells(math.factorial, [(5,)], folder=tmp_path) == [120]  # inputs differ: computed again
    assert json.loads(kept[5].read_text())["result"] == 120


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_job_raises_its_error(workers: int) -> None:
    with pytest.raises(ValueError):
        map_cells(math.factorial, [(3,), (-1,)], workers=workers)


def test_workers_cpu_time_is_counted() -> None:
    """``cpu_seconds`` (an experiment's measured CPU) includes the pool's workers, not only this process."""
    own, total = time.process_time(), cpu_seconds()
    map_cells(sum, [(range(2 * 10**7),), (range(2 * 10**7),)], workers=2)
    own, total = time.process_time() - own, cpu_seconds() - total
    assert total - own > 0.2, (own, total)


def test_a_benchmark_cell_trained_in_a_worker_equals_one_trained_here() -> None:
    """Seeds fix everything: a group trained in a spawned worker gives this process's numbers exactly."""
    from ganlab.experiments.modes import benchmark_cell

    def without_cpu(cell: dict) -> str:  # CPU seconds differ between processes; NaN (no HQ sample) equals itself as JSON text
        vals = {k: v for k, v in cell["vals"].items() if k != "cpu"}
        hist = [[{k: v for k, v in h.items() if k != "cpu"} for h in run] for run in cell["histories"]]
        return json.dumps({**cell, "vals": vals, "histories": hist})

    jobs = [("non_saturating", "ring8", 20, 2, 10, 0, ()), ("hinge", "ring8", 20, 1, 0, 100, ("train.lr_d=0.003", "train.lr_g=0.003"))]
    pooled, here = map_cells(benchmark_cell, jobs, workers=2), map_cells(benchmark_cell, jobs)
    assert [without_cpu(c) for c in pooled] == [without_cpu(c) for c in here]
    assert [h["step"] for h in pooled[0]["histories"][0]] == [0, 10, 20] and pooled[1]["points"] is not None


def test_nan_survives_the_cell_file_and_a_new_cell_equals_a_reused_one(tmp_path: Path) -> None:
    """A diverged run's NaN must come back as NaN (strict JSON would make it null); tuples come back as lists either way."""
    new = map_cells(float, [("nan",), ("1.5",)], folder=tmp_path)
    reused = map_cells(float, [("nan",), ("1.5",)], folder=tmp_path)
    assert math.isnan(new[0]) and math.isnan(reused[0]) and new[1] == reused[1] == 1.5
    (next((tmp_path / CELLS).glob("*.json"))).write_text("{not json")
    again = map_cells(float, [("nan",), ("1.5",)], folder=tmp_path)  # an unreadable file is computed again
    assert math.isnan(again[0]) and again[1] == 1.5


def test_an_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown executor"):
        map_cells(math.factorial, [(3,)], executor="slurm")


def test_cells_on_ray_equal_the_local_ones_and_are_kept(tmp_path: Path) -> None:
    """--executor ray: each cell a Ray task on a Ray started here; the same results, kept in the same
    cell files (so a run may move between executors), and a job's own error class comes back."""
    ray = pytest.importorskip("ray")
    from ganlab.sweep.executors import ray_started

    jobs = [(n,) for n in (12, 3, 20)]
    with ray_started() as r:
        assert map_cells(math.factorial, jobs, folder=tmp_path / "ray", executor="ray") == [math.factorial(n) for n, in jobs]
        with pytest.raises(ValueError):
            map_cells(math.factorial, [(3,), (-1,)], executor="ray")
        assert r.is_initialized()  # a map uses the session it is given and leaves it running
    assert not ray.is_initialized()
    map_cells(math.factorial, jobs, folder=tmp_path / "local")
    assert sorted(p.name for p in (tmp_path / "ray" / CELLS).iterdir()) == sorted(p.name for p in (tmp_path / "local" / CELLS).iterdir())


def test_counts_say_which_cells_were_reused(tmp_path: Path) -> None:
    counts: dict[str, int] = {}
    map_cells(math.factorial, [(5,), (6,)], folder=tmp_path, counts=counts)
    assert counts == {"computed": 2}
    map_cells(math.factorial, [(5,), (7,)], folder=tmp_path, workers=2, counts=counts)
    assert counts == {"computed": 3, "reused": 1}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_in_the_background_logs_one_line_per_computed_cell(tmp_path: Path, workers: int, capsys) -> None:  # noqa: ANN001
    """Off a terminal (a log file) the bar would be silent: each computed cell is a line with the count
    and what is left; reused cells are counted, not announced."""
    map_cells(math.factorial, [(5,)], folder=tmp_path)
    capsys.readouterr()
    map_cells(math.factorial, [(5,), (6,), (7,)], folder=tmp_path, workers=workers, desc="demo")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(re.match(r"demo: [123]/3 cells \([01] reused\), \d+ min", line) for line in lines)
    if workers == 1:  # in order: the reused cell first, then two computed ones
        assert lines[0].startswith("demo: 2/3 cells (1 reused)") and "left at this pace" in lines[0]
        assert lines[1].startswith("demo: 3/3 cells (1 reused)") and "left" not in lines[1]


def test_a_resumed_experiment_says_its_measured_time_leaves_out_the_reused_cells() -> None:
    from ganlab.experiments.base import _reuse_text

    assert _reuse_text({"computed": 4}) == "" and _reuse_text({}) == ""
    assert "Of its 5 cells, 1 were reused" in _reuse_text({"computed": 4, "reused": 1})
