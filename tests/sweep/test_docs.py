"""docs/sweeps.md and configs/sweeps/: every SPEC there is valid (checked as ``--dry-run`` checks
it), and the doc's first example is the shipped file it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ganlab.sweep import prepare

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "sweeps.md"
SPECS = sorted((ROOT / "configs" / "sweeps").glob("*.yaml"))


def doc_specs():
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_docs_first_example_is_the_shipped_spec():
    assert yaml.safe_load(doc_specs()[0]) == yaml.safe_load((ROOT / "configs" / "sweeps" / "ring8_quick.yaml").read_text())


@pytest.mark.parametrize("i", range(len(doc_specs())))
def test_every_spec_in_the_doc_is_valid(i, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # presets are paths from the repository root, as the doc runs them
    spec = tmp_path / "doc.yaml"
    spec.write_text(doc_specs()[i])
    plan = prepare(spec, tmp_path / "out")
    assert plan.cells and all(c.state == "new" for c in plan.cells)


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_every_shipped_spec_is_valid(spec, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert prepare(spec, tmp_path / "out").cells
