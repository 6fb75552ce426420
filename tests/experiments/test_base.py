"""The experiment registry and `ganlab experiment`: every experiment is listed, documents its CPU time, and an
unknown name is a one-line error; an experiment folder renders as a report page."""

from __future__ import annotations

import pytest

from ganlab.cli import main
from ganlab.errors import GanlabError
from ganlab.experiments import EXPERIMENTS, run_experiment

NAMES = {"dirac", "modes", "stacked", "generalization", "sphere", "relativistic", "tangents", "generator_losses", "ema"}


def test_registry_and_list(capsys: pytest.CaptureFixture) -> None:
    assert NAMES <= set(EXPERIMENTS.names())
    assert main(["experiment", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in NAMES)


def test_unknown_experiment_is_one_line_error(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(GanlabError, match="did you mean"):
        run_experiment("mode", out=tmp_path)
    assert main(["experiment", "nope", "--out", str(tmp_path)]) == 2


def test_full_mode_docstrings_state_cpu_time() -> None:
    for name, exp in EXPERIMENTS.items():
        assert "Quick" in exp.doc and "CPU" in exp.doc, name


def test_report_of_experiment_folder(quick_run) -> None:  # noqa: ANN001
    from ganlab.report import render

    page = render(quick_run("generator_losses"))
    assert page.count("data:image/png;base64,") >= 1
    assert 'src="http' not in page and "<table>" in page
    assert "Protocol (result.json)" in page


def test_context_map_runs_cells_on_the_experiments_executor(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """``ctx.map`` hands its executor, workers and Ray address to ``map_cells``, and keeps cells in the out folder."""
    from ganlab.experiments import parallel
    from ganlab.experiments.base import Context
    from ganlab.sweep.executors import cores

    seen = []
    monkeypatch.setattr(parallel, "map_cells", lambda fn, jobs, **kw: seen.append(kw) or [fn(*j) for j in jobs])
    assert Context("x", tmp_path, True, 1).map(abs, [(-2,), (3,)]) == [2, 3]
    Context("x", tmp_path, False, 1).map(abs, [(-2,)])
    Context("x", tmp_path, False, 1, workers=5).map(abs, [(-2,)])
    Context("x", tmp_path, False, 1, executor="ray", ray_address="h:6379").map(abs, [(-2,)], desc="d")
    assert [(k["workers"], k["executor"], k["address"], k["folder"]) for k in seen] == [
        (1, "local", None, tmp_path), (cores(), "local", None, tmp_path), (5, "local", None, tmp_path),
        (cores(), "ray", "h:6379", tmp_path),
    ]
