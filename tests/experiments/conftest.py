"""Quick modes run once per session and are shared by the tests that read their outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.experiments import run_experiment


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory: pytest.TempPathFactory):
    """``quick_run(name)`` → the folder of that experiment's quick mode (run at most once)."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            done[name] = run_experiment(name, quick=True, out=tmp_path_factory.mktemp(name))
        return done[name]

    return get

