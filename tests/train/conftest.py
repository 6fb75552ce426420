import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for train_helpers


@pytest.fixture
def no_final_eval(monkeypatch):
    """The end-of-run evaluation is tested with the metrics; in training tests it only costs time."""
    monkeypatch.setattr("ganlab.train.run.final_metrics", lambda *a, **k: {"values": {}})
