"""Training in memory for the experiments: train_loop and its extra EMAs of G."""

from __future__ import annotations

import pytest
import torch


def test_second_ema_matches_trainer_ema() -> None:
    from ganlab.experiments.training import POINTS_BASE, make, train_loop

    run = train_loop(make([*POINTS_BASE, "data.name=ring8", "data.n_points=2000", "train.steps=20", "train.ema=0.999"]),
                     extra_ema=(0.999,))  # fmt: skip
    for a, b in zip(run.trainer.G_eval.parameters(), run.extra_ema[0.999].model.parameters()):
        torch.testing.assert_close(a, b)


RING = ["data.name=ring8", "data.n_points=1000", "model.z_dim=2", "model.width=16", "model.depth=2", "train.batch_size=32",
        "train.steps=6", "train.progress=false", "train.log_every=2", "train.ema=0.9"]  # fmt: skip


def test_train_seeds_groups_mlp_seeds_and_each_is_the_lone_run_with_that_seed() -> None:
    from ganlab.experiments.training import grouped, make, train_loop, train_seeds

    cfg = make([*RING, "train.seed=3"])
    assert grouped(cfg, 3) and not grouped(cfg, 1)

    def measure(run, step):  # noqa: ANN001
        return {"w": float(next(run.trainer.G.parameters()).detach().sum())}

    runs = train_seeds(cfg, 3, every=3, callback=measure, extra_ema=(0.5,))
    assert [r.cfg.train.seed for r in runs] == [3, 4, 5] and all(r.cfg.train.runs == 1 for r in runs)
    for i, run in enumerate(runs):
        lone = train_loop(make([*RING, f"train.seed={3 + i}"]), every=3, callback=measure, extra_ema=(0.5,))
        assert [h["step"] for h in run.history] == [h["step"] for h in lone.history] == [0, 3, 6]
        for a, b in zip(run.history, lone.history):
            assert a["w"] == pytest.approx(b["w"], rel=1e-4, abs=1e-5)
        for mine, theirs in ((run.trainer.G, lone.trainer.G), (run.trainer.G_eval, lone.trainer.G_eval),
                             (run.extra_ema[0.5].model, lone.extra_ema[0.5].model)):  # fmt: skip
            for p, q in zip(mine.parameters(), theirs.parameters()):
                torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)
        assert run.diverged is None and 0 < run.cpu_seconds


def test_train_seeds_trains_conv_nets_one_after_another_on_a_cpu() -> None:
    """A group of convolutional nets gains nothing per run over lone runs on a CPU (0.94–1.04×, benchmarks/RESULTS.md)."""
    from ganlab.experiments.training import grouped, make

    assert not grouped(make(["data.name=digits"]), 4)
    assert grouped(make(["data.name=digits", "model.arch=mlp"]), 4)


def test_a_run_of_a_group_that_diverges_is_reported_and_the_others_finish(monkeypatch) -> None:
    from ganlab.experiments.training import make, train_seeds
    from ganlab.train.trainer import Trainer

    real = Trainer.train_step

    def poisoned(self):  # noqa: ANN001
        real(self)
        if self.step == 3:
            with torch.no_grad():
                next(self.D.parameters())[1].fill_(float("nan"))  # run 1's first D weight

    monkeypatch.setattr(Trainer, "train_step", poisoned)
    runs = train_seeds(make(RING), 3)
    assert runs[1].diverged and "step" in runs[1].diverged
    assert runs[0].diverged is None and runs[2].diverged is None
    assert all(torch.isfinite(p).all() for r in (runs[0], runs[2]) for p in r.trainer.G.parameters())
