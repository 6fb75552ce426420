"""Every experiment's quick mode: its outputs have the promised shape, and the claims that must
hold robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch

from ganlab.cli import main
from ganlab.errors import GanlabError
from ganlab.experiments import EXPERIMENTS, run_experiment
from ganlab.game import OBJECTIVES


def read_csv(path):  # noqa: ANN001, ANN201
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))

NAMES = {"dirac", "modes", "generalization", "sphere", "relativistic", "tangents", "generator_losses", "ema"}


def _outputs(folder, tables, figures=()):  # noqa: ANN001, ANN202
    assert (folder / "README.md").is_file()
    result = json.loads((folder / "result.json").read_text())
    assert result["quick"] is True and result["cpu_seconds"] >= 0
    readme = (folder / "README.md").read_text()
    assert "Regenerate: `ganlab experiment" in readme and "--quick" in readme
    for t in tables:
        assert (folder / f"{t}.md").is_file() and (folder / f"{t}.csv").is_file()
    for f in figures:
        assert (folder / f"{f}.png").stat().st_size > 1000
        assert f"]({f}.png)" in readme
    return result


def test_registry_and_list(capsys: pytest.CaptureFixture) -> None:
    assert NAMES <= set(EXPERIMENTS.names())
    assert main(["experiment", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in NAMES)


def test_unknown_experiment_is_one_line_error(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(GanlabError, match="did you mean"):
        run_experiment("mode", out=tmp_path)
    assert main(["experiment", "nope", "--out", str(tmp_path)]) == 2


def test_full_mode_docstrings_state_cpu_time() -> None:
    for name, exp in EXPERIMENTS.items():
        assert "Quick" in exp.doc and "CPU" in exp.doc, name


# --- modes ---------------------------------------------------------------------------------------
def test_every_objective_has_valid_mode_settings() -> None:
    """Each objective's declared benchmark settings (or the documented default) make a valid config."""
    from ganlab.config import make_config
    from ganlab.experiments.modes import DEFAULT_SETTINGS, overrides_for, settings_for

    for name in OBJECTIVES.names():
        declared = OBJECTIVES.get(name).benchmark
        assert settings_for(name) == (declared or DEFAULT_SETTINGS)
        cfg = make_config(overrides=overrides_for(name, "ring8", 10, 0))
        assert cfg.game.objective == name


def test_modes_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("modes")
    _outputs(folder, ["modes", "published"], ["samples_ring8"])
    rows = read_csv(folder / "modes.csv")
    assert {r["objective"] for r in rows} == set(OBJECTIVES.names())
    by = {r["objective"]: r for r in rows}
    # the preset configs/ring8.yaml (non-saturating + R1) covers the ring within the quick budget
    assert float(by["non_saturating"]["modes_mean"]) >= 7
    for r in rows:
        if r["modes_mean"] not in ("", "nan"):
            assert 0 <= float(r["modes_mean"]) <= 8
            assert 0 <= float(r["hq_mean"]) <= 100


# --- generator losses ----------------------------------------------------------------------------
def test_generator_losses_match_closed_forms() -> None:
    from ganlab.experiments.generator_losses import loss_curves

    p = np.array([1e-4, 0.01, 0.3, 0.5, 0.9])
    c = loss_curves(p=p)
    # independent closed forms (seed 001 / Goodfellow 2016): L as a function of p = D(G(z)), d = logit p
    np.testing.assert_allclose(c["minimax"]["loss"], np.log1p(-p), rtol=1e-9)
    np.testing.assert_allclose(c["minimax"]["grad_logit"], -p, rtol=1e-9)
    np.testing.assert_allclose(c["non_saturating"]["loss"], -np.log(p), rtol=1e-9)
    np.testing.assert_allclose(c["non_saturating"]["grad_logit"], -(1 - p), rtol=1e-9)
    np.testing.assert_allclose(c["max_likelihood"]["loss"], -0.5 * p / (1 - p), rtol=1e-9)
    np.testing.assert_allclose(c["max_likelihood"]["grad_logit"], -0.5 * p / (1 - p), rtol=1e-9)
    np.testing.assert_allclose(c["minimax"]["grad_prob"], -1 / (1 - p), rtol=1e-9)


def test_generator_losses_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("generator_losses")
    result = _outputs(folder, ["generator_losses"], ["generator_losses"])
    assert result["verdict"] == "agrees"
    rows = read_csv(folder / "generator_losses.csv")
    first = rows[0]
    # minimax saturates as D(G(z)) → 0, non-saturating keeps a unit gradient
    assert abs(float(first["minimax_grad"])) < 0.01 < 0.99 < abs(float(first["non_saturating_grad"]))


# --- generalization ------------------------------------------------------------------------------
def test_generalization_quick(quick_run) -> None:  # noqa: ANN001
    from ganlab.experiments.generalization import MODELS

    folder = quick_run("generalization")
    result = _outputs(folder, ["mre"], ["mre_vs_step"])
    rows = read_csv(folder / "mre.csv")
    assert [r["model"] for r in rows] == list(MODELS)
    for r in rows:
        assert math.isfinite(float(r["test_mean"])) and float(r["test_mean"]) > 0
        assert math.isfinite(float(r["train_mean"])) and float(r["train_mean"]) > 0
    for label, per_seed in result["curves"].items():
        assert [h["step"] for h in per_seed[0]] == [0, 30, 60], label


# --- sphere --------------------------------------------------------------------------------------
def test_sphere_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("sphere")
    _outputs(folder, ["ablation", "timing"])
    assert [r["R"] for r in read_csv(folder / "ablation.csv")] == ["1", "3", "5"]
    timing = {r["setup"]: r for r in read_csv(folder / "timing.csv")}
    assert len(timing) == 3
    # no double backward and one D step: far cheaper than WGAN-GP with its n_D = 5
    assert float(timing["Sphere GAN (R=3), n_D=1"]["ms"]) < float(timing["WGAN-GP, n_D=5 (paper)"]["ms"])


# --- relativistic --------------------------------------------------------------------------------
def test_relativistic_quick(quick_run) -> None:  # noqa: ANN001
    from ganlab.experiments.relativistic import SETUPS

    folder = quick_run("relativistic")
    result = _outputs(folder, ["relativistic"], ["hq_vs_time"])
    rows = read_csv(folder / "relativistic.csv")
    assert [r["setup"] for r in rows] == list(SETUPS)
    for per_seed in result["histories"].values():
        assert [h["step"] for h in per_seed[0]] == [0, 50, 100, 150, 200]
        assert all(h["cpu"] >= 0 for h in per_seed[0])


# --- ema -----------------------------------------------------------------------------------------
def test_ema_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("ema")
    _outputs(folder, ["ema"], ["ema_hq"])
    rows = {r["generator"]: r for r in read_csv(folder / "ema.csv")}
    assert set(rows) == {"raw G", "EMA 0.999", "EMA 0.9999"}
    # within the warm-up (β_t = (1+t)/(10+t) < 0.999 for t < 8,991) both averages are the same weights
    for key in ("modes_mean", "hq_mean"):
        assert rows["EMA 0.999"][key] == rows["EMA 0.9999"][key]


def test_second_ema_matches_trainer_ema() -> None:
    from ganlab.experiments.training import POINTS_BASE, make, train_loop

    run = train_loop(make([*POINTS_BASE, "data.name=ring8", "data.n_points=2000", "train.steps=20", "train.ema=0.999"]),
                     extra_ema=(0.999,))  # fmt: skip
    for a, b in zip(run.trainer.G_eval.parameters(), run.extra_ema[0.999].model.parameters()):
        torch.testing.assert_close(a, b)


# --- dirac ---------------------------------------------------------------------------------------
def test_dirac_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("dirac")
    _outputs(folder, ["verdicts"])
    rows = {r["case"]: r for r in read_csv(folder / "verdicts.csv")}
    assert len(rows) == 9
    assert rows["non-saturating"]["verdict"] == "oscillates"
    assert rows["WGAN-GP c=0"]["verdict"] == "converges"
    assert rows["R1 (γ=1)"]["verdict"] == "converges"
    assert rows["WGAN-GP c=1"]["verdict"] == "converges_to_set"


# --- tangents ------------------------------------------------------------------------------------
def test_tangents_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("tangents")
    result = _outputs(folder, ["tangents", "tangents_runs"])
    pens = {r["penalty"] for r in result["runs"]}
    assert pens == {"none", "orthonormal_tangent"}
    assert all(r["erank"] > 0 for r in result["runs"])


# --- report of an experiment folder --------------------------------------------------------------
def test_report_of_experiment_folder(quick_run) -> None:  # noqa: ANN001
    from ganlab.report import render

    page = render(quick_run("generator_losses"))
    assert page.count("data:image/png;base64,") >= 1
    assert 'src="http' not in page and "<table>" in page
    assert "Protocol (result.json)" in page
