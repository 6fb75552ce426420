"""A tiny sweep trained once per session: ring8, tiny MLPs, 20 steps, 2 cells × 2 seeds."""

from __future__ import annotations

import shutil

import pytest
import yaml

TINY_BASE = {"data.name": "ring8", "data.n_points": 512, "model.z_dim": 2, "model.width": 16, "model.depth": 2, "train.batch_size": 32,
             "train.steps": 20, "train.checkpoint_every": 10, "train.sample_every": 0, "train.log_every": 5, "eval.n": 200,
             "eval.metrics": ["mode_coverage"]}  # fmt: skip
CELLS = ("objective-non_saturating", "objective-hinge")


def write_spec(path, **spec):
    """A SPEC file at ``path``: the tiny base and a 2-cell grid, with ``spec`` replacing keys."""
    body = {"base": dict(TINY_BASE), "grid": {"game.objective": ["non_saturating", "hinge"]}, "seeds": 2, **spec}
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory):
    """(SPEC path, sweep folder) of the tiny sweep, trained on the local executor (2 workers)."""
    from ganlab.sweep import run_sweep

    root = tmp_path_factory.mktemp("sweep")
    spec = write_spec(root / "tiny.yaml", out=str(root / "out"))
    run_sweep(spec, workers=2, quiet=True)
    return spec, root / "out"


@pytest.fixture
def sweep_copy(tiny_sweep, tmp_path):
    """A private copy of the tiny sweep (SPEC pointing at the copy) that a test may damage."""
    spec, out = tiny_sweep
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    body = yaml.safe_load(spec.read_text())
    body["out"] = str(copy)
    return write_spec(tmp_path / "tiny.yaml", **body), copy
