"""The tiny sweep as Ray tasks on a Ray instance started on this machine: the same table as the
local executor, number for number (skipped where Ray is not installed: pip install 'ganlab[ray]')."""

from __future__ import annotations

import pytest
import yaml

from ganlab.sweep import run_sweep
from tests.sweep.conftest import write_spec

ray = pytest.importorskip("ray")


def test_the_tiny_sweep_on_ray_gives_the_local_table(tiny_sweep, tmp_path):
    spec, local = tiny_sweep
    body = yaml.safe_load(spec.read_text())
    body["out"] = str(tmp_path / "out")
    assert not ray.is_initialized()
    run_sweep(write_spec(tmp_path / "tiny.yaml", **body), executor="ray", quiet=True)  # starts Ray here, and stops it
    assert not ray.is_initialized()
    assert (tmp_path / "out" / "results.csv").read_text() == (local / "results.csv").read_text()
