"""Nothing lost: checkpoint retention and best.pt, rollback on divergence, safe loading, a full disk."""

import errno
import io
import pickle

import pytest
import torch
from train_helpers import assert_same_weights, without_time

from ganlab import GanlabError
from ganlab.api import load_run, resume, train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.serial import read_jsonl
from ganlab.train import DivergenceError
from ganlab.train.checkpoint import BEST, list_checkpoints, load_checkpoint, save_checkpoint

TINY = [
    "data.name=ring8",
    "data.n_points=512",
    "model.z_dim=2",
    "model.width=16",
    "model.depth=2",
    "train.batch_size=32",
    "train.log_every=5",
    "train.sample_every=0",
    "train.checkpoint_every=5",
    "train.progress=false",
    "eval.metrics=[]",  # the end-of-run evaluation is tested with the metrics; here it only costs time
]


def newest(out):
    return load_checkpoint(list_checkpoints(out / "checkpoints")[-1][1])


def one_error_line(capsys):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganlab: error: ") and "Traceback" not in err, err
    return lines[0]


# --- retention and the best checkpoint ------------------------------------------------------------
def test_keep_last_k_and_best_by_metric(tmp_path):
    """keep_checkpoints=2 leaves two step files; best.pt holds the step with the most modes
    (the first to reach it), its value is logged with each evaluation, and it loads as a run."""
    cfg = make_config(overrides=[*TINY, "train.steps=40", "train.keep_checkpoints=2", "train.eval_every=10",
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
    plain = train(make_config(overrides=[*TINY, "train.steps=30"]), tmp_path / "plain", quiet=True)
    cfg = make_config(overrides=[*TINY, "train.steps=30", "train.eval_every=5", "train.eval_n=500", "train.best_metric=reverse_kl"])
    evald = train(cfg, tmp_path / "eval", quiet=True)
    assert_same_weights(newest(plain), newest(evald))
    evals = [r for r in read_jsonl(evald / "log.jsonl") if r.get("event") == "eval"]
    finite = [(r["values"]["reverse_kl"], r["step"]) for r in evals if r["values"]["reverse_kl"] is not None]  # NaN is null
    if finite:
        assert load_checkpoint(evald / "checkpoints" / BEST)["step"] == min(finite)[1]


def test_resume_keeps_best_and_eval_records_consistent(tmp_path, monkeypatch):
    """Stopped between evaluations and resumed: the same log (evaluations once each) and the same best.pt."""
    over = [*TINY, "train.steps=40", "train.eval_every=10", "train.eval_n=500", "train.best_metric=hq"]
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
    over = [*TINY, "train.steps=20", "train.eval_every=5", "train.eval_n=500", "train.best_metric=modes"]
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


# --- divergence: stop or roll back ----------------------------------------------------------------
def nan_d_loss(monkeypatch, bad_calls):
    """Make NonSaturating.d_loss NaN for the D-loss calls (1-based, one per step here) in ``bad_calls``."""
    from ganlab.game.objectives.classic import NonSaturating

    original = NonSaturating.d_loss
    calls = [0]

    def d_loss(self, batch):
        calls[0] += 1
        loss = original(self, batch)
        return loss * float("nan") if calls[0] in bad_calls else loss

    monkeypatch.setattr(NonSaturating, "d_loss", d_loss)


def test_rollback_reloads_last_good_checkpoint_with_lower_learning_rates(tmp_path, monkeypatch, capsys):
    nan_d_loss(monkeypatch, {13})  # once: step 13 diverges, the replay from step 10 does not
    cfg = make_config(overrides=[*TINY, "train.steps=30", "train.on_divergence=rollback", "train.rollback_lr_factor=0.5"])
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
    cfg = make_config(overrides=[*TINY, "train.steps=12", "train.checkpoint_every=10", "train.on_divergence=rollback"])
    out = train(cfg, tmp_path / "r", quiet=True)
    records = read_jsonl(out / "log.jsonl")
    assert records[0]["event"] == "rollback" and records[0]["step"] == 0
    assert newest(out)["step"] == 12


def test_rollbacks_are_bounded_and_the_last_good_checkpoint_still_loads(tmp_path, monkeypatch):
    nan_d_loss(monkeypatch, set(range(13, 10_000)))  # diverges whatever the learning rate
    cfg = make_config(overrides=[*TINY, "train.steps=30", "train.on_divergence=rollback", "train.max_rollbacks=2"])
    with pytest.raises(GanlabError) as err:
        train(cfg, tmp_path / "r", quiet=True)
    msg = str(err.value)
    assert "diverged again" in msg and "after 2 rollback(s)" in msg and "\n" not in msg
    assert [s for s, _ in list_checkpoints(tmp_path / "r" / "checkpoints")] == [5, 10]
    assert load_checkpoint(tmp_path / "r" / "checkpoints" / "step_00000010.pt")["step"] == 10


def test_divergence_stop_mode_is_one_line_on_the_command_line(tmp_path, monkeypatch, capsys):
    nan_d_loss(monkeypatch, set(range(8, 10_000)))
    assert main(["train", *TINY, "train.steps=20", "--out", str(tmp_path / "r")]) == 2
    line = one_error_line(capsys)
    assert "training diverged: D/loss is NaN or Inf at step 8" in line
    assert load_checkpoint(tmp_path / "r" / "checkpoints" / "step_00000005.pt")["step"] == 5
    with pytest.raises(DivergenceError):  # --debug: the exception itself, with its traceback
        main(["--debug", "train", *TINY, "train.steps=20", "--out", str(tmp_path / "r2")])


# --- safe loading ---------------------------------------------------------------------------------
class RunsCode:
    """Unpickling this calls open(marker, "w"): the file appears if the loader runs code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_checkpoint_that_would_run_code_is_refused(tmp_path, capsys):
    marker = tmp_path / "pwned"
    run = train(make_config(overrides=[*TINY, "train.steps=5"]), tmp_path / "r", quiet=True)
    good = newest(run)
    zipped = run / "checkpoints" / "step_00000099.pt"
    save_checkpoint({**good, "step": 99, "payload": RunsCode(marker)}, zipped)  # a torch.save zip archive
    legacy = tmp_path / "legacy.pt"  # a bare pickle, protocol 2, as old torch.save wrote them
    legacy.write_bytes(pickle.dumps({"schema": 1, "payload": RunsCode(marker)}, protocol=2))
    for path in (zipped, legacy):
        with pytest.raises(GanlabError, match=r"could run code \(it imports (io|builtins)\.open\)"):
            load_checkpoint(path)
    # on the command line: one line, exit 2; resuming skips it for the good checkpoint
    assert main(["sample", str(zipped), "--out", str(tmp_path / "s.png")]) == 2
    assert "could run code" in one_error_line(capsys)
    resume(run, ["train.steps=10"], quiet=True)
    assert "skipped step_00000099.pt" in capsys.readouterr().err
    assert (run / "checkpoints" / "step_00000099.pt.bad").exists()  # set aside, not deleted
    assert newest(run)["step"] == 10
    assert not marker.exists()


def test_truncated_random_and_foreign_files_are_refused_with_one_line(tmp_path):
    run = train(make_config(overrides=[*TINY, "train.steps=5"]), tmp_path / "r", quiet=True)
    data = (run / "checkpoints" / "step_00000005.pt").read_bytes()
    cases = {
        "truncated.pt": (data[: len(data) // 2], "truncated or corrupt"),
        "random.pt": (torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(1), dtype=torch.uint8).numpy().tobytes(),
                      "corrupt"),
        "empty.pt": (b"", "corrupt"),
    }  # fmt: skip
    buf = io.BytesIO()
    torch.save(newest(run)["G"], buf)  # a plain state dict: loads safely, but is not a ganlab checkpoint
    cases["foreign.pt"] = (buf.getvalue(), "not a ganlab checkpoint")
    buf = io.BytesIO()
    torch.save({**newest(run), "schema": 99}, buf)
    cases["future.pt"] = (buf.getvalue(), "schema 99")
    for name, (content, needle) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(GanlabError) as err:
            load_checkpoint(path)
        assert needle in str(err.value) and "\n" not in str(err.value), (name, str(err.value))
    with pytest.raises(GanlabError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_resume_when_every_checkpoint_is_corrupt_or_none_exists(tmp_path, capsys):
    run = train(make_config(overrides=[*TINY, "train.steps=10"]), tmp_path / "r", quiet=True)
    for _, path in list_checkpoints(run / "checkpoints"):
        path.write_bytes(path.read_bytes()[:100])
    assert main(["train", "--resume", str(run)]) == 2
    assert "none of the 2 checkpoints" in one_error_line(capsys)
    # killed before its first checkpoint: the run starts over in place, exactly like a fresh one
    ref = train(make_config(overrides=[*TINY, "train.steps=10"]), tmp_path / "ref", quiet=True)
    for _, path in list_checkpoints(run / "checkpoints"):
        path.unlink()
    resume(run, quiet=True)
    assert_same_weights(newest(ref), newest(run))
    assert without_time(read_jsonl(ref / "log.jsonl")) == without_time(read_jsonl(run / "log.jsonl"))


# --- a full disk ----------------------------------------------------------------------------------
def test_full_disk_while_writing_a_checkpoint(tmp_path, monkeypatch, capsys):
    """ENOSPC halfway through the step-10 checkpoint: one line, exit 2, step 5 intact and loadable,
    no temporary file left, and a resume ends exactly where an uninterrupted run does."""
    from ganlab import serial  # the atomic writer of every file ganlab writes

    def full_disk_open(path, mode="r", *args, **kwargs):
        f = open(path, mode, *args, **kwargs)
        if "step_00000010.pt.tmp" not in str(path):
            return f

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

            def write(self, data):
                f.write(data[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self, name):
                return getattr(f, name)

        return Full()

    over = [*TINY, "train.steps=20"]
    ref = train(make_config(overrides=over), tmp_path / "ref", quiet=True)
    out = tmp_path / "r"
    monkeypatch.setattr(serial, "open", full_disk_open, raising=False)
    assert main(["train", *over, "--out", str(out), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "step_00000010.pt: No space left on device" in line and "previous checkpoint is intact" in line
    monkeypatch.undo()
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step_00000005.pt"]
    assert load_checkpoint(out / "checkpoints" / "step_00000005.pt")["step"] == 5
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert_same_weights(newest(ref), newest(out))


def test_resume_cuts_sample_grids_and_partial_files_back_to_the_checkpoint(tmp_path, monkeypatch):
    """What a kill leaves behind past the checkpoint (a half-written sample grid, a temporary
    checkpoint file) is removed or rewritten on resume, so the folder matches an uninterrupted run."""
    over = [*TINY, "train.steps=20", "train.sample_every=5", "train.checkpoint_every=10"]
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
