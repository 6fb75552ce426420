"""`ganlab train` on bad input, case by case: each is one `ganlab: error: …` line with the fix, exit code 2,
and a traceback only with --debug (tests/test_cli_fuzz.py generates hundreds more); a diverged run too."""

import os

import numpy as np
import pytest

from ganlab import GanlabError
from ganlab.cli import main
from ganlab.train import DivergenceError
from ganlab.train.checkpoint import load_checkpoint
from tests.helpers import TINY_RUN, cli_refuses, nan_d_loss, one_error_line

# the bad-input cases (mostly --dry-run); the diverged run at the end trains tests.helpers.TINY_RUN
TINY = ["data.name=ring8", "data.n_points=256", "model.z_dim=2", "model.width=8", "model.depth=1", "train.batch_size=16",
        "train.steps=4", "train.log_every=2", "train.progress=false"]  # fmt: skip


def error_line(capsys, argv):
    return cli_refuses(capsys, argv)


@pytest.mark.parametrize(
    "override,needle",
    [
        ("train.lr_d=-1e-3", "train.lr_d must be in (0, 10], got -0.001 — set train.lr_d to a value in (0, 10]"),
        ("train.lr_g=0", "train.lr_g must be in (0, 10]"),
        ("train.ema=1.0", "train.ema must be in [0, 1), got 1.0"),
        ("train.ema=-0.5", "train.ema must be in [0, 1)"),
        ("train.betas_d=[0.5, 1.5]", "train.betas_d[1] must be in [0, 1)"),
        ("train.batch_size=300", "train.batch_size=300 exceeds the 256 training samples of ring8 — lower train.batch_size to at most 256"),
        ("train.batch_size=0", "train.batch_size must be at least 1"),
        ("data.n_points=1", "data.n_points must be in [2, 100000000], got 1"),
        ("train.steps=0", "train.steps must be at least 1"),
        ("train.n_critic=0", "train.n_critic must be in [1, 1000]"),
        ("train.seed=-1", "train.seed must be in [0, 4294967294]"),
        ("data.seed=-1", "data.seed must be in [0, 4294967295]"),
        ("model.width=0", "model.width must be in [1, 100000]"),
        ("model.z_dim=10000000", "model.z_dim must be in [1, 100000]"),
        ("train.optimizer_d=adamw", 'unknown train.optimizer_d "adamw" (did you mean "adam"?) — choose one of: adam, rmsprop, sgd'),
        ("train.device=gpu", 'unknown train.device "gpu" — use cpu, cuda, cuda:N or auto'),
        ("train.device=meta", 'unknown train.device "meta"'),
        ("model.arch=mlpp", 'unknown model.arch "mlpp"'),
        ("model.g_norm=batchnorm", 'unknown model.g_norm "batchnorm" (did you mean "batch"?) — choose one of: batch, layer, none'),
        ("model.init=kaiming", 'unknown model.init "kaiming" — choose one of: normal, xavier, orthogonal, default'),
        ("train.precision=fp8", 'unknown train.precision "fp8"'),
        ("train.on_divergence=retry", 'unknown train.on_divergence "retry"'),
        ("train.rollback_lr_factor=1.5", "train.rollback_lr_factor must be in (0, 1)"),
        ("train.keep_checkpoints=0", "train.keep_checkpoints must be at least 1"),
        ("train.best_metric=fid", "train.best_metric=fid needs evaluations during training"),
        ("train.eval_every=-3", "train.eval_every must be at least 0"),
        ("game.params={lamb: 1}", 'unknown key "game.params(non_saturating).lamb"'),
        ("game.penalties=[{name: r11}]", 'unknown penalty "r11" (did you mean "r1"?)'),
        ("game.penalties=[{name: r1, gama: 1}]", 'unknown key "game.penalties[0](r1).gama" (did you mean "gamma"?)'),
        ("game.penalties=[{name: r1, every: 0}]", "game.penalties[0](r1).every must be at least 1"),
        ("game.penalties=[{name: gp, lam: -10}]", "game.penalties[0](gp).lam must be at least 0"),
        ("eval.options={kid: {subset: 10}}", 'unknown key "eval.options.kid.subset" (did you mean "subsets"?)'),
        ("eval.metrics=[fidd]", 'unknown metric "fidd" (did you mean "fid"?)'),
        ("train.simultaneous=maybe", "must be true or false"),
        ("train.stepz=4", 'unknown key "config.train.stepz" (did you mean "steps"?)'),
        ("game.objective=hinj", 'unknown objective "hinj" (did you mean "hinge"?)'),
    ],
)
def test_bad_config_values(override, needle, capsys):
    assert needle in error_line(capsys, ["train", "--dry-run", *TINY, override])


def test_bad_config_combinations(capsys):
    assert "unknown train.best_metric" in error_line(
        capsys, ["train", "--dry-run", *TINY, "train.checkpoint_every=2", "train.eval_every=2", "train.best_metric=fidd"]
    )
    assert "needs a Gaussian mixture with known modes" in error_line(
        capsys, ["train", "--dry-run", "train.checkpoint_every=2", "train.eval_every=2", "train.best_metric=modes"]
    )
    assert "simultaneous=true needs train.n_critic=1" in error_line(
        capsys, ["train", "--dry-run", *TINY, "train.simultaneous=true", "train.n_critic=2"]
    )


def save(path, x):
    np.savez(path, x=x)
    return path


def test_bad_data_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    npz = ["train", "--dry-run", "data.name=npz", "model.z_dim=2", "model.width=8", "model.depth=1", "train.batch_size=4"]
    nan = rng.normal(size=(40, 2)).astype(np.float32)
    nan[7, 1] = np.nan
    cases = {
        "missing": (tmp_path / "missing.npz", "does not exist"),
        "folder": (tmp_path, "is not a file"),
        "shape": (save(tmp_path / "shape.npz", np.zeros((40, 2, 3))), "holds an array of shape (40, 2, 3)"),
        "dtype": (save(tmp_path / "dtype.npz", np.array(["a"] * 40)), "holds <U1 data, not numbers"),
        "range": (save(tmp_path / "range.npz", np.full((40, 1, 8, 8), 2.0, np.float32)), "scale float images to [−1, 1]"),
        "nan": (save(tmp_path / "nan.npz", nan), "contains 1 NaN or infinite values"),
        "overflow": (save(tmp_path / "big.npz", np.full((40, 2), 1e300)), "beyond the float32 range"),
        "few": (save(tmp_path / "few.npz", np.zeros((5, 2), np.float32)), "holds only 5 samples — store at least 10"),
        "names": (tmp_path / "names.npz", "none named x"),
        "garbage": (tmp_path / "garbage.npz", "cannot read"),
    }
    np.savez(tmp_path / "names.npz", a=np.zeros((40, 2)), b=np.zeros((40, 2)))
    (tmp_path / "garbage.npz").write_bytes(os.urandom(300))
    for what, (path, needle) in cases.items():
        assert needle in error_line(capsys, [*npz, f"data.path={path}"]), what
    np.save(tmp_path / "good.npy", rng.normal(size=(40, 2)).astype(np.float32))  # .npy is read too
    assert main([*npz, f"data.path={tmp_path / 'good.npy'}"]) == 0
    assert "data.path is not set" in error_line(capsys, [*npz])


def test_unreadable_data_file(tmp_path, capsys, monkeypatch):
    path = save(tmp_path / "locked.npz", np.zeros((40, 2), np.float32))
    path.chmod(0)
    if os.name != "posix" or os.geteuid() == 0:
        # root (as in CI) reads any file whatever its mode, so the refusal the OS gives everyone else comes from the loader
        real_load = np.load

        def refuse(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if os.fspath(file) == os.fspath(path):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_load(file, *args, **kwargs)

        monkeypatch.setattr(np, "load", refuse)
    try:
        line = error_line(capsys, ["train", "--dry-run", "data.name=npz", f"data.path={path}", "train.batch_size=4"])
    finally:
        path.chmod(0o600)
    assert "permission denied" in line


def test_output_folder_and_resume_mistakes(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "something").write_text("not a run")
    assert "already exists" in error_line(capsys, ["train", "--dry-run", *TINY, "--out", str(out)])
    assert "already exists" in error_line(capsys, ["train", *TINY, "--out", str(out)])
    assert "not a ganlab run folder" in error_line(capsys, ["train", *TINY, "--out", str(out), "--overwrite"])
    assert "is a file" in error_line(capsys, ["train", "--dry-run", *TINY, "--out", str(out / "something")])
    assert "not a ganlab run folder (no config.yaml)" in error_line(capsys, ["train", "--resume", str(out)])
    assert "--dry-run cannot be combined with --resume" in error_line(capsys, ["train", "--resume", str(out), "--dry-run"])
    (out / "config.yaml").write_text("train: [1, 2\n")  # a damaged run config
    assert "not valid YAML" in error_line(capsys, ["train", "--resume", str(out)])


def test_usage_errors_are_one_line_too(capsys):
    assert "unrecognized arguments: --bogus" in error_line(capsys, ["train", "--bogus"])
    assert "invalid int value" in error_line(capsys, ["sample", "run", "--n", "many"])


def test_debug_shows_the_traceback():
    with pytest.raises(GanlabError, match="train.lr_d must be"):
        main(["--debug", "train", "--dry-run", *TINY, "train.lr_d=-1"])


def test_divergence_stop_mode_is_one_line_on_the_command_line(tmp_path, monkeypatch, capsys):
    nan_d_loss(monkeypatch, set(range(8, 10_000)))
    assert main(["train", *TINY_RUN, "train.steps=20", "--out", str(tmp_path / "r")]) == 2
    line = one_error_line(capsys)
    assert "training diverged: D/loss is NaN or Inf at step 8" in line
    assert load_checkpoint(tmp_path / "r" / "checkpoints" / "step_00000005.pt")["step"] == 5
    with pytest.raises(DivergenceError):  # --debug: the exception itself, with its traceback
        main(["--debug", "train", *TINY_RUN, "train.steps=20", "--out", str(tmp_path / "r2")])
