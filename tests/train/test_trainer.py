"""The trainer: exact resume, signals, divergence, and a short 2-D run that covers the modes."""

import json

import pytest
import torch
from train_helpers import assert_same_weights, without_time

from ganlab import GanlabError
from ganlab.api import build, load_run, resume, train
from ganlab.config import make_config
from ganlab.serial import read_jsonl
from ganlab.train import DivergenceError, Trainer
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint

TINY = [
    "data.name=ring8",
    "data.n_points=512",
    "model.z_dim=2",
    "model.width=16",
    "model.depth=2",
    "train.batch_size=32",
    "train.log_every=5",
    "train.sample_every=0",
    "train.checkpoint_every=10",
    "train.progress=false",
    # R1 (shared d_real), GP (random interpolates) and n_critic 2 exercise every RNG stream
    "game.penalties=[{name: r1, gamma: 1}, {name: gp, lam: 1}]",
    "train.n_critic=2",
    "eval.metrics=[]",  # the end-of-run evaluation is tested with the metrics; here it only costs time
]


def final_state(out):
    step, path = list_checkpoints(out / "checkpoints")[-1]
    return step, load_checkpoint(path)


def test_resume_continues_exactly(tmp_path):
    n = 20
    full = train(make_config(overrides=[*TINY, f"train.steps={2 * n}"]), tmp_path / "full", quiet=True)
    half = train(make_config(overrides=[*TINY, f"train.steps={n}"]), tmp_path / "half", quiet=True)
    resume(half, [f"train.steps={2 * n}"], quiet=True)
    sa, a = final_state(full)
    sb, b = final_state(half)
    assert sa == sb == 2 * n
    assert_same_weights(a, b)
    for key in ("opt_g", "opt_d"):
        assert a[key]["state"].keys() == b[key]["state"].keys()
        for k, va in a[key]["state"].items():
            assert torch.equal(va["exp_avg"], b[key]["state"][k]["exp_avg"])
            assert torch.equal(va["exp_avg_sq"], b[key]["state"][k]["exp_avg_sq"])
    # the log holds each record once, and the same records as the uninterrupted run
    assert without_time(read_jsonl(full / "log.jsonl")) == without_time(read_jsonl(half / "log.jsonl"))


def test_stop_request_checkpoints_and_resume_is_exact(tmp_path):
    """What SIGINT/SIGTERM do: finish the step, checkpoint, return; resuming loses nothing."""
    full = train(make_config(overrides=[*TINY, "train.steps=30"]), tmp_path / "full", quiet=True)

    cfg = make_config(overrides=[*TINY, "train.steps=30"])
    original_step = Trainer.train_step

    def step_and_maybe_stop(self):
        original_step(self)
        if self.step == 13:  # not a checkpoint step
            self.stop_requested = True

    Trainer.train_step = step_and_maybe_stop
    try:
        out = train(cfg, tmp_path / "stopped", quiet=True)
    finally:
        Trainer.train_step = original_step
    assert [s for s, _ in list_checkpoints(out / "checkpoints")][-1] == 13
    assert not (out / "metrics.json").exists()
    resume(out, quiet=True)
    assert_same_weights(final_state(full)[1], final_state(out)[1])
    assert without_time(read_jsonl(full / "log.jsonl")) == without_time(read_jsonl(out / "log.jsonl"))


def test_resume_refuses_changed_config_unless_forced(tmp_path):
    out = train(make_config(overrides=[*TINY, "train.steps=10"]), tmp_path / "r", quiet=True)
    with pytest.raises(GanlabError, match=r"changed config \(train.lr_d\)"):
        resume(out, ["train.lr_d=1e-3", "train.steps=20"], quiet=True)
    resume(out, ["train.lr_d=1e-3", "train.steps=20"], force=True, quiet=True)
    assert final_state(out)[0] == 20


def test_existing_output_folder_is_refused(tmp_path):
    cfg = make_config(overrides=[*TINY, "train.steps=5"])
    out = train(cfg, tmp_path / "r", quiet=True)
    with pytest.raises(GanlabError, match="already exists"):
        train(cfg, out, quiet=True)
    train(cfg, out, overwrite=True, quiet=True)


def test_divergence_stops_with_step_and_term_and_keeps_last_checkpoint(tmp_path, monkeypatch):
    from ganlab.game.objectives.classic import NonSaturating

    original = NonSaturating.d_loss

    def nan_after_12(self, batch):
        loss = original(self, batch)
        return loss * float("nan") if nan_after_12.calls > 2 * 12 else loss  # from the first D step of step 13

    nan_after_12.calls = 0

    def counted(self, batch):
        nan_after_12.calls += 1
        return nan_after_12(self, batch)

    monkeypatch.setattr(NonSaturating, "d_loss", counted)
    with pytest.raises(DivergenceError) as err:
        train(make_config(overrides=[*TINY, "train.steps=30"]), tmp_path / "r", quiet=True)
    msg = str(err.value)
    assert "D/loss is NaN or Inf at step 13" in msg and "\n" not in msg
    steps = [s for s, _ in list_checkpoints(tmp_path / "r" / "checkpoints")]
    assert steps == [10]
    load_checkpoint(tmp_path / "r" / "checkpoints" / "step_00000010.pt")  # still loads


def test_simultaneous_updates_use_the_same_parameters(tmp_path):
    """Simultaneous mode: D's and G's gradients both come from the parameters before either step."""
    cfg = make_config(overrides=[*TINY, "train.n_critic=1", "train.simultaneous=true", "train.steps=1", "game.penalties=[]"])
    dataset, game, G, D = build(cfg)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)
    d_before = {k: v.clone() for k, v in D.state_dict().items()}
    trainer.train_step()
    assert trainer.step == 1 and trainer.d_step == 1
    assert any(not torch.equal(d_before[k], v) for k, v in D.state_dict().items())


def test_load_run_gives_ema_generator(tmp_path):
    out = train(make_config(overrides=[*TINY, "train.steps=10"]), tmp_path / "r", quiet=True)
    run = load_run(out)
    assert run.step == 10 and run.G_ema is not None and not run.G_ema.training
    with torch.no_grad():
        assert run.G_eval(torch.randn(4, 2)).shape == (4, 2)
    cfg = json.loads(json.dumps(run.config.train.__dict__, default=list))
    assert cfg["steps"] == 10


def test_ring8_short_run_covers_modes(tmp_path, monkeypatch):
    """non_saturating + R1 on ring8 covers at least 7 of the 8 modes in a short CPU run."""
    monkeypatch.undo()
    from ganlab.metrics import evaluate

    cfg = make_config(
        overrides=[
            "data.name=ring8",
            "model.z_dim=2",
            "model.width=64",
            "train.steps=1500",
            "train.batch_size=256",
            "train.progress=false",
            "train.sample_every=0",
            "train.checkpoint_every=0",
            "game.penalties=[{name: r1, gamma: 1}]",
        ]
    )
    out = train(cfg, tmp_path / "ring", quiet=True)
    run = load_run(out)
    result = evaluate(run.G_eval, run.dataset, metrics=["mode_coverage"], n=2000, seed=1)
    assert result["values"]["modes"] >= 7, result["values"]
    assert result["values"]["hq"] > 0.1
