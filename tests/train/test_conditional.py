"""Conditional training: labels through the whole path (stream → G(z, y) → D(x, y) → Batch),
the matched-labels rule for penalties on interpolates, groups and exact resume of conditional
runs, and a reduced-budget conditional digits run whose samples are classified as the class
they were asked for."""

from __future__ import annotations

import pytest
import torch

from ganlab.api import in_memory, resume, train
from ganlab.api.common import make_trainer
from ganlab.api.groups import build_group
from ganlab.config import make_config
from ganlab.game import PENALTIES, Batch
from ganlab.metrics import evaluate
from tests.helpers import assert_same_weights, newest

DIGITS = ["data.name=digits", "model.conditional=true", "model.z_dim=8", "model.width=8", "train.batch_size=16",
          "train.progress=false", "eval.metrics=[]", "train.log_every=1", "train.sample_every=0"]  # fmt: skip


def test_each_fake_is_asked_for_the_class_of_its_real_partner():
    """train.fake_labels=matched (the default): y_fake = y_real of the batch, so D compares each
    class's fakes with that class's reals and an interpolate lies between two samples of one class."""
    _, tr = in_memory(make_config(overrides=DIGITS))
    seen = []
    tr.D.register_forward_hook(lambda m, args, out: seen.append(args[1].clone()))
    tr.train_step()
    y_real = tr.real_labels()
    assert torch.equal(seen[-1], y_real) and torch.equal(seen[-2], y_real)  # G step: D(G(z, y), y) and D(x, y)
    labels = torch.as_tensor(tr.streams.labels)
    assert ((labels >= 0) & (labels < 10)).all()


def test_uniform_fake_labels_are_drawn_apart_from_the_real_ones():
    _, tr = in_memory(make_config(overrides=[*DIGITS, "train.fake_labels=uniform"]))
    g_in = tr.latent.draw(tr)
    tr.streams.real()
    assert g_in.y.shape == (16,) and not torch.equal(g_in.y, tr.real_labels())


def test_penalties_on_interpolates_score_with_the_real_labels():
    calls = []

    class D(torch.nn.Module):
        def forward(self, x, y):
            calls.append(y)
            return (x * (1 + y[:, None].float())).sum(1, keepdim=True)

    x_r, x_f = torch.randn(6, 3), torch.randn(6, 3)
    y_r, y_f = torch.arange(6) % 3, (torch.arange(6) + 1) % 3
    b = Batch(D(), x_r, x_f, y_real=y_r, y_fake=y_f, rng=torch.Generator().manual_seed(0))
    value = PENALTIES.get("gp")(lam=1.0)(b)
    assert torch.equal(calls[-1], y_r)  # documented in Batch: critic("real") scores the interpolates
    # the gradient of x ↦ Σ x (1 + y) is (1 + y)·1: ‖∇‖ = √3 (1 + y) for every interpolate
    expected = ((3**0.5 * (1 + y_r.float()) - 1) ** 2).mean()
    torch.testing.assert_close(value, expected)


@pytest.mark.parametrize("d_cond", ["projection", "acgan"])
def test_run_i_of_a_conditional_group_is_the_lone_run(d_cond):
    extra = [f"model.d_cond={d_cond}"] + (["game.penalties=[{name: acgan, weight: 1}]"] if d_cond == "acgan" else [])
    cfg = make_config(overrides=[*DIGITS, *extra, "train.runs=2", "train.seed=3"])
    dataset, game, G, D = build_group(cfg)
    group = make_trainer(cfg, dataset, game, G, D)
    g_losses = []
    for _ in range(3):
        group.train_step()
        g_losses.append(group.meter.flush())
    for i in range(2):
        _, lone = in_memory(make_config(overrides=[*DIGITS, *extra, f"train.seed={3 + i}"]))
        for step in range(3):
            lone.train_step()
            for k, v in lone.meter.flush().items():
                assert v == pytest.approx(g_losses[step][k][i], rel=1e-4, abs=1e-6), (k, i, step)


def test_a_conditional_run_resumes_exactly(tmp_path):
    over = [*DIGITS, "train.checkpoint_every=3", "game.penalties=[{name: gp, lam: 1}]"]
    train(make_config(overrides=[*over, "train.steps=6"]), tmp_path / "a", quiet=True)
    train(make_config(overrides=[*over, "train.steps=3"]), tmp_path / "b", quiet=True)
    resume(tmp_path / "b", ["train.steps=6"], quiet=True)
    assert_same_weights(newest(tmp_path / "a"), newest(tmp_path / "b"))


def test_reduced_budget_conditional_digits_draw_the_requested_class():
    """400 steps of the conditional digits preset's nets at width 32 (≈ 97 % measured on three
    seeds; the full preset reaches 98 %): at least 70 % of the samples are classified as the
    class they were generated for, every class covered (≈ 13 s here; not asserted: a timed
    assertion fails on a slower or loaded machine)."""
    torch.manual_seed(0)
    cfg = make_config("configs/conditional_digits.yaml", ["train.steps=400", "model.width=32", "train.lr_d=5e-4", "train.lr_g=5e-4",
                                                          "train.progress=false", "eval.metrics=[]"])  # fmt: skip
    dataset, tr = in_memory(cfg)
    tr.fit(cfg.train.steps)
    r = evaluate(tr.G_eval, dataset, ["class_accuracy", "class_coverage"], split="val", n=1000)["values"]
    assert r["class_accuracy"] >= 0.70 and r["class_coverage"] == 1.0, r
