import pytest


@pytest.fixture
def no_final_eval(monkeypatch):
    """The end-of-run evaluation is tested with the metrics; in training tests it only costs time."""
    monkeypatch.setattr("ganlab.train.run.final_metrics", lambda *a, **k: {"values": {}})
