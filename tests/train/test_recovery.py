"""A divergence with train.on_divergence=rollback: the last good checkpoint is reloaded with lower
learning rates, at most train.max_rollbacks times. (Signals: the stop tests in tests/test_api.py and
tests/test_api_kill.py.)"""

import pytest

from ganlab import GanlabError
from ganlab.api import resume, train
from ganlab.config import make_config
from ganlab.serial import read_jsonl
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint
from tests.helpers import TINY_RUN, nan_d_loss, newest


def test_rollback_reloads_last_good_checkpoint_with_lower_learning_rates(tmp_path, monkeypatch, capsys):
    nan_d_loss(monkeypatch, {13})  # once: step 13 diverges, the replay from step 10 does not
    cfg = make_config(overrides=[*TINY_RUN, "train.steps=30", "train.on_divergence=rollback", "train.rollback_lr_factor=0.5"])
    out = train(cfg, tmp_path / "r", quiet=True)
    assert "rolled back to step 10" in capsys.readouterr().err
    records = read_jsonl(out / "log.jsonl")
    rollbacks = [r for r in records if r.get("event") == "rollback"]
    assert rollbacks == [
        {"step": 10, "event": "rollback", "diverged_at": 13, "term": "D/loss", "rollback": 1, "lr_d": 1e-4, "lr_g": 1e-4}
    ]
    assert [r["step"] for r in records if "D/loss" in r] == [5, 10, 15, 20, 25, 30]  # the diverged record is gone
    last = newest(out)
    assert last["step"] == 30 and last["rollbacks"] == 1 and last["lr_scale"] == 0.5
    assert last["opt_d"]["param_groups"][0]["lr"] == 1e-4 and last["opt_g"]["param_groups"][0]["lr"] == 1e-4
    # the lowered rates survive a resume, even though the config still says 2e-4
    resume(out, ["train.steps=35"], quiet=True)
    assert newest(out)["opt_d"]["param_groups"][0]["lr"] == 1e-4


def test_rollback_before_the_first_checkpoint_restarts_from_step_0(tmp_path, monkeypatch):
    nan_d_loss(monkeypatch, {3})
    cfg = make_config(overrides=[*TINY_RUN, "train.steps=12", "train.checkpoint_every=10", "train.on_divergence=rollback"])
    out = train(cfg, tmp_path / "r", quiet=True)
    records = read_jsonl(out / "log.jsonl")
    assert records[0]["event"] == "rollback" and records[0]["step"] == 0
    assert newest(out)["step"] == 12


def test_rollbacks_are_bounded_and_the_last_good_checkpoint_still_loads(tmp_path, monkeypatch):
    nan_d_loss(monkeypatch, set(range(13, 10_000)))  # diverges whatever the learning rate
    cfg = make_config(overrides=[*TINY_RUN, "train.steps=30", "train.on_divergence=rollback", "train.max_rollbacks=2"])
    with pytest.raises(GanlabError) as err:
        train(cfg, tmp_path / "r", quiet=True)
    msg = str(err.value)
    assert "diverged again" in msg and "after 2 rollback(s)" in msg and "\n" not in msg
    assert [s for s, _ in list_checkpoints(tmp_path / "r" / "checkpoints")] == [5, 10]
    assert load_checkpoint(tmp_path / "r" / "checkpoints" / "step_00000010.pt")["step"] == 10
