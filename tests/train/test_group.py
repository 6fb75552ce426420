"""Groups of runs (train.runs = N): run i of a group is the lone run with seed + i.

The equivalence is checked directly: same losses, gradients and weights as lone runs with the
same seeds, for MLP and DCGAN nets, with and without gradient penalties; per-run reductions
of every objective; element-wise optimisers over stacked parameters; a diverged run frozen
alone; exact resume; run folders usable like any other.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganlab.api import in_memory, load_run, resume, train
from ganlab.api.groups import build_group
from ganlab.config import make_config
from ganlab.errors import GanlabError
from ganlab.game import OBJECTIVES, Batch, Game
from ganlab.game.factory import make_game
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.nets.stacked import stack
from ganlab.serial import read_json, read_jsonl
from ganlab.train import Trainer
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint
from ganlab.train.group import Frozen

POINTS = ["data.name=ring8", "data.n_points=512", "model.z_dim=2", "model.width=16", "model.depth=2", "train.batch_size=32",
          "train.progress=false", "eval.metrics=[]", "train.log_every=1"]  # fmt: skip
DIGITS = ["data.name=digits", "model.z_dim=8", "model.width=8", "train.batch_size=16", "train.progress=false", "eval.metrics=[]",
          "train.log_every=1"]  # fmt: skip
PENALTIES = {"none": [], "r1+gp": ["game.penalties=[{name: r1, gamma: 1}, {name: gp, lam: 1}]", "train.n_critic=2"]}


def group_trainer(cfg):
    dataset, game, G, D = build_group(cfg)
    return Trainer(G, D, game, dataset.train, cfg.train)


def losses_of(trainer, steps):
    out = []
    for _ in range(steps):
        trainer.train_step()
        trainer.check_finite()
        out.append(trainer.meter.flush())
    return out


@pytest.mark.parametrize("nets", ["mlp", "dcgan"])
@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_run_i_of_a_group_is_the_lone_run_with_seed_i(nets, penalty):
    base = (POINTS if nets == "mlp" else DIGITS) + PENALTIES[penalty]
    n = 3
    group = group_trainer(make_config(overrides=[*base, f"train.runs={n}", "train.seed=5"]))
    g_losses = losses_of(group, 3)
    for i in range(n):
        _, lone = in_memory(make_config(overrides=[*base, f"train.seed={5 + i}"]))
        l_losses = losses_of(lone, 3)
        for a, b in zip(l_losses, g_losses):  # every named term at every step
            assert a.keys() == b.keys()
            for k in a:
                assert a[k] == pytest.approx(b[k][i], rel=1e-4, abs=1e-6), (k, i)
        unseen = set()
        for who, net, stacked in (("G", lone.G, group.G), ("D", lone.D, group.D)):
            mine = stacked.member_state(i)
            for name, p in net.named_parameters():  # weights and the last step's gradients
                g_stacked = dict(stacked.named_parameters())[name.replace(".", "__")].grad
                if p.grad is not None and p.grad.abs().max() < 1e-7:
                    # a direction the loss does not see (a conv bias just before BatchNorm): its
                    # gradient is rounding noise, which Adam scales to full steps; compared through
                    # the outputs below instead
                    unseen.add(f"{who}.{name}")
                    continue
                torch.testing.assert_close(mine[name], p.detach(), rtol=1e-4, atol=1e-5, msg=f"{who}.{name}")
                if p.grad is not None:
                    torch.testing.assert_close(g_stacked[i], p.grad, rtol=1e-3, atol=1e-5, msg=f"grad {who}.{name}")
        z = torch.randn(16, lone.G.z_dim, generator=torch.Generator().manual_seed(9))
        with torch.no_grad():
            x = lone.G(z)
            torch.testing.assert_close(group.G.member(i)(z), x, rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(group.D.member(i)(x), lone.D(x), rtol=1e-4, atol=1e-5)
        ema = group.ema.model.member_state(i)
        for name, t in lone.ema.model.state_dict().items():
            if f"G.{name}" not in unseen and not name.endswith("running_mean"):  # the mean holds the unseen bias too
                torch.testing.assert_close(ema[name], t, rtol=1e-4, atol=1e-5, msg=f"EMA {name}")
        with torch.no_grad():
            torch.testing.assert_close(group.G_eval.member(i)(z), lone.G_eval(z), rtol=1e-4, atol=1e-5)


def test_runs_1_is_the_plain_trainer_and_a_stacked_group_of_one_matches_it():
    cfg = make_config(overrides=[*POINTS, *PENALTIES["r1+gp"]])
    _, plain = in_memory(cfg)
    _, explicit = in_memory(make_config(overrides=[*POINTS, *PENALTIES["r1+gp"], "train.runs=1"]))
    for t in (plain, explicit):
        for _ in range(3):
            t.train_step()
    assert not explicit.group and all(torch.equal(a, b) for a, b in zip(plain.G.parameters(), explicit.G.parameters()))
    # the stacked path with one run (vmap over a run dimension of 1): equal to float precision
    dataset, game, G, D = build_group(dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, runs=2)))
    one = Trainer(stack([G.unstack(0)]), stack([D.unstack(0)]), game, dataset.train, dataclasses.replace(cfg.train, runs=1))
    one.group, one.streams.group = True, True
    one.frozen = Frozen([one.G, one.D, one.ema.model])
    for _ in range(3):
        one.train_step()
    for name, p in plain.G.named_parameters():
        torch.testing.assert_close(one.G.member_state(0)[name], p.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["adam", "rmsprop", "sgd"])
def test_elementwise_optimisers_on_stacked_parameters_are_independent_optimisers(name):
    from ganlab.train.optim import make_optimizer

    torch.manual_seed(0)
    members = [MLPDiscriminator(2, 8, 1) for _ in range(3)]
    lone = [MLPDiscriminator(2, 8, 1) for _ in range(3)]
    for a, b in zip(lone, members):
        a.load_state_dict(b.state_dict())
    S = stack(members)
    opt = make_optimizer(name, S.parameters(), 1e-2, (0.5, 0.99))
    opts = [make_optimizer(name, m.parameters(), 1e-2, (0.5, 0.99)) for m in lone]
    for _ in range(4):
        grads = {n: torch.randn_like(p) for n, p in S.named_parameters()}
        for n, p in S.named_parameters():
            p.grad = grads[n]
        opt.step()
        for i, (m, o) in enumerate(zip(lone, opts)):
            for n, p in m.named_parameters():
                p.grad = grads[n.replace(".", "__")][i]
            o.step()
    for i, m in enumerate(lone):
        for n, p in m.named_parameters():
            torch.testing.assert_close(S.member_state(i)[n], p.detach(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("objective", OBJECTIVES.names())
def test_every_objective_reduces_per_run(objective):
    """The group's losses are the lone losses of each run's slice: relativistic averages, MMD
    kernels, Sphere moments, GAN-QP distances, EBGAN margins never mix runs."""
    torch.manual_seed(1)
    n = 3
    cfg = make_config(overrides=[*POINTS, f"game.objective={objective}", f"train.runs={n}"])
    dataset, game, G, D = build_group(cfg)
    x_real = torch.randn(n, 8, 2)
    x_fake = torch.randn(n, 8, 2)
    gens = [torch.Generator().manual_seed(i) for i in range(n)]
    for player in ("D", "G"):
        grouped = game.losses(Batch(D, x_real, x_fake, rng=[torch.Generator().manual_seed(i) for i in range(n)], runs=n), player)
        for i in range(n):
            alone = game.losses(Batch(D.unstack(i), x_real[i], x_fake[i], rng=gens[i]), player)
            gens[i] = torch.Generator().manual_seed(i)
            for k, v in alone.items():
                torch.testing.assert_close(grouped[k][i], v, rtol=1e-4, atol=1e-6, msg=f"{objective} {player} {k} run {i}")


def test_penalties_reduce_per_run():
    n = 2
    for spec in (["r1"], ["r2"], [{"name": "gp", "lam": 1}], [{"name": "lp"}], ["wgan_div"], [{"name": "l2", "lam": 0.1}]):
        game = make_game("wasserstein", penalties=spec)
        torch.manual_seed(0)
        D = stack([MLPDiscriminator(2, 8, 2) for _ in range(n)])
        x_real, x_fake = torch.randn(n, 6, 2), torch.randn(n, 6, 2)
        g = game.losses(Batch(D, x_real.clone().requires_grad_(True), x_fake, rng=[torch.Generator().manual_seed(i) for i in range(n)],
                              runs=n), "D")  # fmt: skip
        for i in range(n):
            x_i = x_real[i].clone().requires_grad_(True)
            a = game.losses(Batch(D.unstack(i), x_i, x_fake[i], rng=torch.Generator().manual_seed(i)), "D")
            for k in a:
                torch.testing.assert_close(g[k][i], a[k], rtol=1e-4, atol=1e-6, msg=f"{spec} {k}")


def test_a_diverged_run_is_frozen_alone_and_reported(tmp_path, monkeypatch):
    """Run 1 of 3 gets a NaN loss at step 4: it is frozen at its last finite weights, the others
    train to the end; its folder says so and the summary leaves it out."""
    over = [*POINTS, "train.runs=3", "train.steps=12", "train.checkpoint_every=4", "train.log_every=2"]
    cfg = make_config(overrides=over)
    real = Game.losses

    def poisoned(self, batch, player, step=0):
        terms = real(self, batch, player, step)
        if batch.runs and player == "D" and step >= 3:
            terms["loss"] = terms["loss"] * torch.tensor([1.0, float("nan"), 1.0])
        return terms

    monkeypatch.setattr(Game, "losses", poisoned)
    out = train(cfg, tmp_path / "g", quiet=True)
    summary = read_json(out / "summary.json")
    assert summary["n_diverged"] == 1 and [r["diverged"] is not None for r in summary["runs"]] == [False, True, False]
    events = [r for r in read_jsonl(out / "seed-1" / "log.jsonl") if r.get("event") == "diverged"]
    assert len(events) == 1 and events[0]["term"] == "D/loss"
    frozen = load_checkpoint(list_checkpoints(out / "seed-1" / "checkpoints")[-1][1])
    assert frozen["diverged"]["term"] == "D/loss"
    assert all(torch.isfinite(t).all() for t in frozen["G"].values())
    for s in (0, 2):  # the others trained to the end
        assert list_checkpoints(out / f"seed-{s}" / "checkpoints")[-1][0] == 12


def test_group_resume_is_exact_and_run_folders_are_ordinary(tmp_path):
    over = [*POINTS, *PENALTIES["r1+gp"], "train.runs=2", "train.checkpoint_every=5"]
    full = train(make_config(overrides=[*over, "train.steps=10"]), tmp_path / "full", quiet=True)
    half = train(make_config(overrides=[*over, "train.steps=5"]), tmp_path / "half", quiet=True)
    resume(half, ["train.steps=10"], quiet=True)
    for s in (0, 1):
        a = load_checkpoint(list_checkpoints(full / f"seed-{s}" / "checkpoints")[-1][1])
        b = load_checkpoint(list_checkpoints(half / f"seed-{s}" / "checkpoints")[-1][1])
        for k in ("G", "D"):
            for name in a[k]:
                assert torch.equal(a[k][name], b[k][name]), f"seed {s} {k}.{name}"
        run = load_run(full / f"seed-{s}")
        assert run.config.train.seed == s and run.config.train.runs == 1 and run.step == 10
    with pytest.raises(GanlabError, match="is a group of runs"):
        load_run(full)


@pytest.mark.parametrize("bad, needle", [
    ("train.on_divergence=rollback", "does not support train.on_divergence=rollback"),
    ("train.precision=fp16", "does not support train.precision=fp16"),
    ("model.spectral_norm=true", "does not support model.spectral_norm=true"),
    ("train.runs=0", "train.runs must be in [1, 4096]"),
])  # fmt: skip
def test_group_settings_that_cannot_work_are_refused(bad, needle):
    with pytest.raises(GanlabError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        make_config(overrides=[*POINTS, "train.runs=2", bad])
