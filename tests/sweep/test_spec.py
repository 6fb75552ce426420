"""Bad SPECs are refused with one line and exit code 2 before any folder is written; cell names
are file-system safe and unique; overrides merge as the config's own YAML does."""

from __future__ import annotations

import re
import sys

import pytest
import yaml

from ganlab.cli import main
from ganlab.config import make_config, to_dict
from ganlab.errors import GanlabError
from ganlab.sweep import prepare
from ganlab.sweep.spec import cell_names, load_spec, put
from ganlab.train.folder import RunFolder
from tests.helpers import cli_refuses
from tests.sweep.conftest import TINY_BASE, write_spec


def refused(capsys, argv):
    """Run the CLI; it must exit 2 with one ``ganlab: error: …`` line and no traceback."""
    return cli_refuses(capsys, argv)


BAD = {
    "unknown key": ({"seed": 3}, 'unknown key "sweep.seed" (did you mean "seeds"?)'),
    "empty grid": ({"grid": {}}, "sweep.grid is empty"),
    "empty values": ({"grid": {"train.lr_d": []}}, "sweep.grid.train.lr_d must be a non-empty list of values"),
    "no cells": ({"grid": None}, "the SPEC has no cells"),
    "empty list": ({"grid": None, "list": []}, "sweep.list is empty"),
    "seeds": ({"seeds": 0}, "sweep.seeds must be in [1, 4096]"),
    "invalid value": ({"grid": {"train.lr_d": [2.0e-4, -1.0]}}, "cell lr_d--1.0: train.lr_d must be in (0, 10], got -1.0"),
    "unknown config key": ({"grid": {"train.stepz": [10, 20]}}, 'unknown key "config.train.stepz" (did you mean "steps"?)'),
    "cannot share a group": ({"base": {**TINY_BASE, "model.spectral_norm": True}},
                             "cell objective-non_saturating: train.runs=2 (a group of runs) does not support model.spectral_norm=true"),
    "runs set": ({"list": [{"train.runs": 4}]}, "sets train.runs: the runs of a cell are the SPEC's seeds — set sweep.seeds instead"),
    "runs nested": ({"base": {**TINY_BASE, "train": {"runs": 3}}}, "sweep.base sets train.runs"),
    "same cell twice": ({"grid": None, "list": [{"train.steps": 20}, {"train.seed": 0}]}, "have the same config"),
    "key in grid and list": ({"list": [{"game.objective": "hinge"}]}, "game.objective is set both in sweep.grid and in sweep.list[0]"),
    "unknown metric": ({"metrics": ["mode"]}, 'unknown metric value "mode" in sweep.metrics (did you mean "modes"?)'),
    "data too small": ({"grid": {"data.n_points": [16, 512]}},
                       "cell n_points-16: train.batch_size=32 exceeds the 16 training samples of ring8"),
    "missing preset": ({"base": "no/such/preset.yaml"}, "config file no/such/preset.yaml does not exist"),
    "bad type": ({"seeds": "many"}, "sweep.seeds must be an integer"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_spec_is_one_line_and_writes_nothing(case, tmp_path, capsys):
    change, needle = BAD[case]
    spec = write_spec(tmp_path / "bad.yaml", out=str(tmp_path / "out"), **change)
    line = refused(capsys, ["sweep", str(spec)])
    assert needle in line, line
    assert not (tmp_path / "out").exists()


def test_a_spec_that_is_not_a_mapping_or_not_there(tmp_path, capsys):
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    assert "must be a mapping" in refused(capsys, ["sweep", str(tmp_path / "list.yaml")])
    (tmp_path / "broken.yaml").write_text("grid: [\n")
    assert "is not valid YAML" in refused(capsys, ["sweep", str(tmp_path / "broken.yaml")])
    assert "does not exist" in refused(capsys, ["sweep", str(tmp_path / "none.yaml")])


def test_a_cell_folder_made_with_another_config_is_refused_untouched(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"))
    cell = prepare(spec).cells[1]
    other = to_dict(make_config(base={**to_dict(cell.config), "train": {**to_dict(cell.config)["train"], "steps": 99}}))
    RunFolder(cell.path).checkpoints.mkdir(parents=True)
    RunFolder(cell.path).write_config(other)
    saved = RunFolder(cell.path).config.read_bytes()
    line = refused(capsys, ["sweep", str(spec)])
    assert f"{cell.path} was trained with another config (train.steps)" in line
    assert RunFolder(cell.path).config.read_bytes() == saved
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [cell.name]  # no sweep.yaml, no other cell


def test_a_cell_folder_holding_foreign_files_is_refused(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"))
    cell = prepare(spec).cells[0]
    cell.path.mkdir(parents=True)
    (cell.path / "notes.txt").write_text("mine")
    assert "holds files that are not a ganlab run (notes.txt)" in refused(capsys, ["sweep", str(spec)])
    assert (cell.path / "notes.txt").read_text() == "mine"


def test_missing_ray_is_one_line_saying_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"))
    line = refused(capsys, ["sweep", str(spec), "--executor", "ray"])
    assert "--executor ray needs Ray" in line and "pip install 'ganlab[ray]'" in line
    assert not (tmp_path / "out").exists()


def test_dry_run_lists_the_cells_and_writes_nothing(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"), grid={"game.objective": ["hinge", "wasserstein"],
                      "train.lr_d": [1.0e-4, 2.0e-4, 4.0e-4]}, list=[{"model.width": 8}, {"model.width": 12}])  # fmt: skip
    assert main(["sweep", str(spec), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "(12 cells × 2 seeds)" in out
    assert "width-8__objective-hinge__lr_d-0.0001" in out and out.count(" new") == 12
    assert not (tmp_path / "out").exists()


def test_cells_are_the_grid_crossed_with_the_list(tmp_path):
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"), grid={"train.lr_d": [1.0e-4, 2.0e-4]},
                      list=[{"game.objective": "hinge"}, {"game.objective": "least_squares", "model.width": 8}])  # fmt: skip
    cells = prepare(spec).cells
    got = [(c.config.game.objective, c.config.train.lr_d, c.config.model.width, c.config.train.runs) for c in cells]
    assert got == [("hinge", 1e-4, 16, 2), ("hinge", 2e-4, 16, 2), ("least_squares", 1e-4, 8, 2), ("least_squares", 2e-4, 8, 2)]


def test_a_preset_base_is_read_and_overridden(tmp_path):
    preset = tmp_path / "preset.yaml"
    preset.write_text(yaml.safe_dump({"data": {"name": "ring8", "n_points": 512}, "model": {"z_dim": 2, "width": 16},
                                      "game": {"penalties": [{"name": "r1", "gamma": 1}]}, "train": {"batch_size": 32}}))  # fmt: skip
    spec = write_spec(tmp_path / "s.yaml", base=str(preset), grid={"model.width": [8, 24]})
    cells = prepare(spec).cells
    assert [c.config.model.width for c in cells] == [8, 24]
    assert all(c.config.model.z_dim == 2 and c.config.game.penalties == [{"name": "r1", "gamma": 1}] for c in cells)
    assert prepare(spec).out.name == "s"  # no out: sweeps/<SPEC name>


def test_cell_names_are_safe_and_unique():
    overrides = [{"game.objective": "hinge", "train.lr_d": 2e-4}, {"train.betas_d": [0.0, 0.9], "game.params": {"a": "x/y z"}},
                 {"model.width": "a b"}, {"model.width": "a_b"}, {"train.lr_d": 1e-4, "eval.lr_d": 3}, {},
                 {"model.width": "w" * 300}]  # fmt: skip
    names = cell_names(overrides)
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", name) and len(name.encode()) <= 120, name
    assert names[0] == "objective-hinge__train.lr_d-0.0002"  # lr_d is the last part of two keys: the whole key names it
    assert names[5] == "base"


def test_put_merges_sections_and_replaces_params():
    tree = {"game": {"objective": "gls", "params": {"a": 1}}, "train": {"steps": 5}}
    put(tree, "train.lr_d", 1e-3)
    put(tree, "game", {"penalties": ["r1"]})
    put(tree, "game.params", {"b": 2})
    assert tree == {"game": {"objective": "gls", "params": {"b": 2}, "penalties": ["r1"]}, "train": {"steps": 5, "lr_d": 1e-3}}


@pytest.mark.parametrize("argv, needle", [
    (["--executor", "dask"], "argument --executor: invalid choice"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--ray-address", "h:6379"], "are requests to Ray — add --executor ray"),
    (["--gpus-per-cell", "0.5"], "are requests to Ray"),
])  # fmt: skip
def test_bad_options_are_one_line(argv, needle, tmp_path, capsys):
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"))
    assert needle in refused(capsys, ["sweep", str(spec), *argv])
    assert not (tmp_path / "out").exists()


def test_a_cell_folder_made_with_other_threads_is_the_same_cell(tmp_path):
    spec = write_spec(tmp_path / "s.yaml", out=str(tmp_path / "out"))
    cell = prepare(spec).cells[0]
    made = to_dict(cell.config)
    made["train"] = {**made["train"], "threads": 2, "progress": True}
    RunFolder(cell.path).checkpoints.mkdir(parents=True)
    RunFolder(cell.path).write_config(made)
    assert [c.state for c in prepare(spec).cells] == ["resume", "new"]


@pytest.mark.parametrize("text, words", [
    ("a: &x [1, 2]\nb: *x\n", "alias"),
    ("seeds: 2\nseeds: 3\n", "appears twice"),
])  # fmt: skip
def test_a_hostile_spec_is_refused_by_the_strict_loader(tmp_path, text, words):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(GanlabError, match=words):
        load_spec(path)
