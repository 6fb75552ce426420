"""Adding an objective, a metric or a data set is one definition with its declarations — no
edit elsewhere. Components registered here, inside the test, are picked up by ``ganlab list``,
the Dirac table, the 2-D benchmark, ``evaluate``, config validation and ``train.best_metric``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlab.api import train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.data import DATASETS, Dataset, dataset
from ganlab.dynamics.table import other_cases, run_case
from ganlab.dynamics.verdict import VERDICTS
from ganlab.errors import GanlabError
from ganlab.experiments.modes import benchmark_row, settings_for
from ganlab.game import OBJECTIVES, Batch, Objective
from ganlab.metrics import METRICS, Side, evaluate, metric, value_direction
from ganlab.serial import read_jsonl
from ganlab.typed import field


@pytest.fixture
def extension():
    """A temporary objective, metric and data set, removed again after the test."""

    @OBJECTIVES.register("tmp_softplus")
    @dataclasses.dataclass(frozen=True)
    class SoftplusGame(Objective):
        """A test game: L_D = E softplus(−d_r) + E softplus(d_f), L_G = E softplus(−d_f)."""

        benchmark = (("game.penalties=[{name: r1, gamma: 1}]", "train.lr_d=4e-4"), "declared in the test")
        scale: float = field(1.0, low=0, low_open=True)

        def d_loss(self, batch: Batch) -> torch.Tensor:
            return F.softplus(-self.scale * batch.d_real).mean() + F.softplus(self.scale * batch.d_fake).mean()

        def g_loss(self, batch: Batch) -> torch.Tensor:
            return F.softplus(-self.scale * batch.d_fake).mean()

    @dataclasses.dataclass(frozen=True)
    class SpreadOptions:
        power: float = field(2.0, low=1)

    @metric("tmp_spread", options=SpreadOptions, better={"tmp_spread_gap": False})
    def spread(fake: Side, real: Side, o: SpreadOptions) -> dict[str, float]:
        """Test metric: |E‖x‖^p of generated − of real|."""
        f = float(fake.x.flatten(1).norm(dim=1).pow(o.power).mean())
        r = float(real.x.flatten(1).norm(dim=1).pow(o.power).mean())
        return {"tmp_spread_gap": abs(f - r)}

    @dataset("tmp_blobs", kind="points", features="identity", metrics=("tmp_spread", "precision_recall"))
    def blobs(cfg) -> Dataset:
        """Test data: two Gaussian blobs in the plane."""
        rng = np.random.default_rng(cfg.seed)

        def part(n: int) -> torch.Tensor:
            centre = rng.choice([-1.0, 1.0], size=(n, 1))
            return torch.from_numpy(centre * np.array([[1.0, 0.0]]) + 0.1 * rng.standard_normal((n, 2))).float()

        return Dataset("tmp_blobs", "points", part(min(cfg.n_points, 2000)), part(300), part(300))

    yield
    OBJECTIVES.unregister("tmp_softplus")
    METRICS.unregister("tmp_spread")
    DATASETS.unregister("tmp_blobs")


def test_list_shows_them(extension, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tmp_softplus  A test game" in out or "tmp_softplus" in out.split("penalties:")[0]
    assert "Test metric" in out and "Test data: two Gaussian blobs" in out


def test_config_validates_their_parameters_and_options(extension):
    cfg = make_config(overrides=["data.name=tmp_blobs", "game.objective=tmp_softplus", "game.params={scale: 2}",
                                 "eval.options={tmp_spread: {power: 3}}", "train.best_metric=tmp_spread_gap", "train.eval_every=5"])
    assert cfg.game.params == {"scale": 2} and value_direction("tmp_spread_gap") == ("tmp_spread", False)
    for bad, needle in [("game.params={scale: -1}", "game.params(tmp_softplus).scale must be positive"),
                        ("game.params={scal: 1}", 'did you mean "scale"'),
                        ("eval.options={tmp_spread: {power: 0.5}}", "eval.options.tmp_spread.power must be at least 1"),
                        ("train.best_metric=tmp_spread_gapp", 'did you mean "tmp_spread_gap"')]:  # fmt: skip
        with pytest.raises(GanlabError, match=needle.replace("(", r"\(").replace(")", r"\)")):
            make_config(overrides=["data.name=tmp_blobs", "game.objective=tmp_softplus", "train.eval_every=5", bad])


def test_dirac_table_and_benchmark_pick_up_the_objective(extension):
    case = next(c for c in other_cases() if c.objective == "tmp_softplus")
    row = run_case(case)
    assert row.result is not None and row.result.verdict.label in VERDICTS
    assert settings_for("tmp_softplus") == OBJECTIVES.get("tmp_softplus").benchmark
    cells, points, history = benchmark_row("tmp_softplus", "ring8", 40, 1, every=20)
    assert cells["objective"] == "tmp_softplus" and cells["settings"] == "declared in the test"
    assert points is not None and points.shape == (1000, 2)
    assert [h["step"] for h in history[0]] == [0, 20, 40]  # the EMA G scored along training


def test_evaluate_and_best_metric_use_the_declarations(extension, tmp_path):
    cfg = make_config(overrides=["data.name=tmp_blobs", "data.n_points=512", "model.z_dim=2", "model.width=16", "model.depth=1",
                                 "game.objective=tmp_softplus", "train.steps=10", "train.batch_size=32", "train.eval_every=5",
                                 "train.eval_n=200", "train.best_metric=tmp_spread_gap", "train.progress=false",
                                 "train.sample_every=0", "eval.n=300"])  # fmt: skip
    out = train(cfg, tmp_path / "run", quiet=True)
    evals = [r for r in read_jsonl(out / "log.jsonl") if r.get("event") == "eval"]
    assert [r["step"] for r in evals] == [5, 10] and all("tmp_spread_gap" in r["values"] for r in evals)
    assert (out / "checkpoints" / "best.pt").is_file()
    result = (out / "metrics.json").read_text()
    assert '"tmp_spread_gap"' in result and '"precision"' in result  # the data set's declared end-of-run metrics
    ds = DATASETS.get("tmp_blobs")(cfg.data)
    values = evaluate(None, ds, fake=ds.val)["values"]  # its default metrics and feature network
    assert set(values) >= {"tmp_spread_gap", "precision", "recall"}
