"""Runs in a folder through ganlab.api: exact resume after a stop, refused folders and configs, a divergence
that stops the run, load_run; checkpoint retention and best.pt; resuming what a kill left behind.
(Killed subprocesses: tests/test_api_kill.py.)"""

import json

import pytest
import torch

from ganlab import GanlabError
from ganlab.api import load_run, resume, train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.serial import read_json, read_jsonl
from ganlab.train import DivergenceError, Trainer
from ganlab.train.checkpoint import BEST, list_checkpoints, load_checkpoint
from tests.helpers import TINY_RUN, TINY_STREAMS, assert_same_weights, final_state, newest, one_error_line, without_time


def test_resume_continues_exactly(tmp_path):
    n = 20
    full = train(make_config(overrides=[*TINY_STREAMS, f"train.steps={2 * n}"]), tmp_path / "full", quiet=True)
    half = train(make_config(overrides=[*TINY_STREAMS, f"train.steps={n}"]), tmp_path / "half", quiet=True)
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
    full = train(make_config(overrides=[*TINY_STREAMS, "train.steps=30"]), tmp_path / "full", quiet=True)

    cfg = make_config(overrides=[*TINY_STREAMS, "train.steps=30"])
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
    out = train(make_config(overrides=[*TINY_STREAMS, "train.steps=10"]), tmp_path / "r", quiet=True)
    with pytest.raises(GanlabError, match=r"changed config \(train.lr_d\)"):
        resume(out, ["train.lr_d=1e-3", "train.steps=20"], quiet=True)
    resume(out, ["train.lr_d=1e-3", "train.steps=20"], force=True, quiet=True)
    assert final_state(out)[0] == 20


def test_existing_output_folder_is_refused(tmp_path):
    cfg = make_config(overrides=[*TINY_STREAMS, "train.steps=5"])
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
        train(make_config(overrides=[*TINY_STREAMS, "train.steps=30"]), tmp_path / "r", quiet=True)
    msg = str(err.value)
    assert "D/loss is NaN or Inf at step 13" in msg and "\n" not in msg
    steps = [s for s, _ in list_checkpoints(tmp_path / "r" / "checkpoints")]
    assert steps == [10]
    load_checkpoint(tmp_path / "r" / "checkpoints" / "step_00000010.pt")  # still loads


def test_load_run_gives_ema_generator(tmp_path):
    out = train(make_config(overrides=[*TINY_STREAMS, "train.steps=10"]), tmp_path / "r", quiet=True)
    run = load_run(out)
    assert run.step == 10 and run.G_ema is not None and not run.G_ema.training
    with torch.no_grad():
        assert run.G_eval(torch.randn(4, 2)).shape == (4, 2)
    cfg = json.loads(json.dumps(run.config.train.__dict__, default=list))
    assert cfg["steps"] == 10


# --- retention and the best checkpoint ------------------------------------------------------------
def test_keep_last_k_and_best_by_metric(tmp_path):
    """keep_checkpoints=2 leaves two step files; best.pt holds the step with the most modes
    (the first to reach it), its value is logged with each evaluation, and it loads as a run."""
    cfg = make_config(overrides=[*TINY_RUN, "train.steps=40", "train.keep_checkpoints=2", "train.eval_every=10",
                                 "train.eval_n=500", "train.best_metric=modes"])  # fmt: skip
    out = train(cfg, tmp_path / "r", quiet=True)
    assert [s for s, _ in list_checkpoints(out / "checkpoints")] == [35, 40]
    evals = [r for r in read_jsonl(out / "log.jsonl") if r.get("event") == "eval"]
    assert [r["step"] for r in evals] == [10, 20, 30, 40]
    assert all(r["split"] == "val" and "modes" in r["values"] for r in evals)
    values = [r["values"]["modes"] for r in evals]
    best_step = evals[values.index(max(values))]["step"]  # strictly better only: the first of equals
    best = load_checkpoint(out / "checkpoints" / BEST)
    assert best["step"] == best_step and best["best"] == {"metric": "modes", "value": max(values), "step": best_step}
    assert evals[-1]["best"] == best["best"]
    assert load_run(out / "checkpoints" / BEST).step == best_step


def test_lower_is_better_metric_and_eval_leaves_training_alone(tmp_path):
    """Evaluating during training does not move the training's random streams: the weights
    equal a run without evaluations. reverse_kl is minimised, so best.pt holds its minimum."""
    plain = train(make_config(overrides=[*TINY_RUN, "train.steps=30"]), tmp_path / "plain", quiet=True)
    cfg = make_config(overrides=[*TINY_RUN, "train.steps=30", "train.eval_every=5", "train.eval_n=500", "train.best_metric=reverse_kl"])
    evald = train(cfg, tmp_path / "eval", quiet=True)
    assert_same_weights(newest(plain), newest(evald))
    evals = [r for r in read_jsonl(evald / "log.jsonl") if r.get("event") == "eval"]
    finite = [(r["values"]["reverse_kl"], r["step"]) for r in evals if r["values"]["reverse_kl"] is not None]  # NaN is null
    if finite:
        assert load_checkpoint(evald / "checkpoints" / BEST)["step"] == min(finite)[1]


def test_resume_keeps_best_and_eval_records_consistent(tmp_path, monkeypatch):
    """Stopped between evaluations and resumed: the same log (evaluations once each) and the same best.pt."""
    over = [*TINY_RUN, "train.steps=40", "train.eval_every=10", "train.eval_n=500", "train.best_metric=hq"]
    full = train(make_config(overrides=over), tmp_path / "full", quiet=True)
    from ganlab.train import Trainer

    original = Trainer.train_step

    def stop_at_23(self):
        original(self)
        if self.step == 23:
            self.stop_requested = True

    monkeypatch.setattr(Trainer, "train_step", stop_at_23)
    out = train(make_config(overrides=over), tmp_path / "stopped", quiet=True)
    monkeypatch.setattr(Trainer, "train_step", original)
    resume(out, quiet=True)
    assert without_time(read_jsonl(full / "log.jsonl")) == without_time(read_jsonl(out / "log.jsonl"))
    a, b = load_checkpoint(full / "checkpoints" / BEST), load_checkpoint(out / "checkpoints" / BEST)
    assert a["step"] == b["step"] and a["best"] == b["best"]
    assert_same_weights(a, b)


def test_resume_rewrites_best_pt_when_killed_before_it(tmp_path, monkeypatch):
    """Killed between the step checkpoint and best.pt: resume writes best.pt from that checkpoint,
    and the run ends with the best.pt of an uninterrupted one."""
    over = [*TINY_RUN, "train.steps=20", "train.eval_every=5", "train.eval_n=500", "train.best_metric=modes"]
    full = train(make_config(overrides=over), tmp_path / "full", quiet=True)
    from ganlab.train import hooks as run_module

    original = run_module.atomic_write_bytes

    def killed_at_best(path, data):
        if path.name == BEST:  # the first evaluation always improves on "nothing yet"
            raise KeyboardInterrupt
        original(path, data)

    monkeypatch.setattr(run_module, "atomic_write_bytes", killed_at_best)
    out = tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        train(make_config(overrides=over), out, quiet=True)
    monkeypatch.setattr(run_module, "atomic_write_bytes", original)
    assert not (out / "checkpoints" / BEST).exists() and newest(out)["best"]["step"] == 5
    resume(out, quiet=True)
    a, b = load_checkpoint(full / "checkpoints" / BEST), load_checkpoint(out / "checkpoints" / BEST)
    assert a["best"] == b["best"]
    assert_same_weights(a, b)


# --- resuming what a kill or a damaged disk left behind ---------------------------------------------
def test_resume_when_every_checkpoint_is_corrupt_or_none_exists(tmp_path, capsys):
    run = train(make_config(overrides=[*TINY_RUN, "train.steps=10"]), tmp_path / "r", quiet=True)
    for _, path in list_checkpoints(run / "checkpoints"):
        path.write_bytes(path.read_bytes()[:100])
    assert main(["train", "--resume", str(run)]) == 2
    assert "none of the 2 checkpoints" in one_error_line(capsys)
    # killed before its first checkpoint: the run starts over in place, exactly like a fresh one
    ref = train(make_config(overrides=[*TINY_RUN, "train.steps=10"]), tmp_path / "ref", quiet=True)
    for _, path in list_checkpoints(run / "checkpoints"):
        path.unlink()
    resume(run, quiet=True)
    assert_same_weights(newest(ref), newest(run))
    assert without_time(read_jsonl(ref / "log.jsonl")) == without_time(read_jsonl(run / "log.jsonl"))


def test_resume_cuts_sample_grids_and_partial_files_back_to_the_checkpoint(tmp_path, monkeypatch):
    """What a kill leaves behind past the checkpoint (a half-written sample grid, a temporary
    checkpoint file) is removed or rewritten on resume, so the folder matches an uninterrupted run."""
    over = [*TINY_RUN, "train.steps=20", "train.sample_every=5", "train.checkpoint_every=10"]
    full = train(make_config(overrides=over), tmp_path / "full", quiet=True)
    from ganlab.train import Trainer

    original = Trainer.train_step

    def stop_at_13(self):
        original(self)
        if self.step == 13:
            self.stop_requested = True

    monkeypatch.setattr(Trainer, "train_step", stop_at_13)
    out = train(make_config(overrides=over), tmp_path / "r", quiet=True)
    monkeypatch.setattr(Trainer, "train_step", original)
    (out / "samples" / "step_00000015.png").write_bytes(b"\x89PNG torn")  # as if killed while writing it
    (out / "samples" / "step_00000025.png").write_bytes(b"from a run with other settings")
    (out / "checkpoints" / ".step_00000020.pt.tmp-4242").write_bytes(b"half")
    resume(out, quiet=True)
    names = sorted(p.name for p in (out / "samples").iterdir())
    assert names == sorted(p.name for p in (full / "samples").iterdir()) == [f"step_000000{s:02d}.png" for s in (5, 10, 15, 20)]
    assert (out / "samples" / "step_00000015.png").stat().st_size > 1000
    assert not [p for p in (out / "checkpoints").iterdir() if ".tmp-" in p.name]
    assert without_time(read_jsonl(full / "log.jsonl")) == without_time(read_jsonl(out / "log.jsonl"))


def test_metrics_json_holds_the_data_floor_beside_the_generator(tmp_path):
    """eval.floor (default on): the same metrics of held-out training images, as data_floor computes them."""
    from ganlab.metrics.floor import data_floor

    over = ["data.name=ring8", "data.n_points=2000", "model.z_dim=2", "model.width=8", "model.depth=1", "train.steps=5",
            "train.progress=false", "eval.n=400"]
    cfg = make_config(overrides=over)
    out = train(cfg, tmp_path / "run", quiet=True)
    saved = read_json(out / "metrics.json")["floor"]
    run = load_run(out)
    again = data_floor(run.dataset, list(run.dataset.metrics), n=400, seed=cfg.train.seed)
    assert saved["values"] == again["values"] and saved["n"] == 400
    assert "equilibrium" in saved["skipped"]  # it reads D, which real samples do not have
    off = train(make_config(overrides=[*over, "eval.floor=false"]), tmp_path / "off", quiet=True)
    assert "floor" not in read_json(off / "metrics.json")
