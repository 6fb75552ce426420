"""The EMA generator: its weights average G's, its BatchNorm statistics are estimated for them."""

from __future__ import annotations

import copy

import torch

from ganlab.api import in_memory
from ganlab.api.groups import build_group
from ganlab.config import make_config
from ganlab.nets.dcgan import DCGANGenerator
from ganlab.train import Trainer
from ganlab.train.ema import CALIBRATION_SEED, EMA, standing_statistics

DIGITS = ["data.name=digits", "model.z_dim=8", "model.width=8", "train.batch_size=16", "train.progress=false", "eval.metrics=[]"]


def outputs(G, seed=3):
    z = torch.randn(32, G.z_dim, generator=torch.Generator().manual_seed(seed))
    G.eval()
    with torch.no_grad():
        return G(z)


def test_decay_0_is_the_live_generator_exactly_batchnorm_included():
    """β = 0: the average is the live weights; its statistics are the standing statistics of
    those weights — the same function of them the live G gets from the same estimate."""
    _, tr = in_memory(make_config(overrides=[*DIGITS, "train.ema=0.0"]))
    for _ in range(6):
        tr.train_step()
    ema = tr.G_eval
    assert all(torch.equal(a, b) for a, b in zip(ema.parameters(), tr.G.parameters()))
    live = copy.deepcopy(tr.G)
    standing_statistics(live, seed=CALIBRATION_SEED + tr.ema.updates)
    assert all(torch.equal(a, b) for a, b in zip(ema.buffers(), live.buffers()))
    assert torch.equal(outputs(ema), outputs(live))


def test_ema_of_a_constant_generator_is_that_generator():
    torch.manual_seed(0)
    G = DCGANGenerator(8, 1, 8, 8)
    G.train()
    for _ in range(3):  # give its BatchNorm running statistics values of their own
        G(torch.randn(16, 8))
    ema = EMA(G, 0.999)
    for _ in range(50):
        ema.update(G)
    avg = ema.model
    assert all(torch.equal(a, b) for a, b in zip(avg.parameters(), G.parameters()))
    ref = copy.deepcopy(G)
    standing_statistics(ref, seed=CALIBRATION_SEED + 50)
    assert all(torch.equal(a, b) for a, b in zip(avg.buffers(), ref.buffers()))
    assert torch.equal(outputs(avg), outputs(ref))


def test_the_average_does_not_carry_the_live_generators_statistics():
    """The defect this fixes: the live G's running statistics belong to the live weights."""
    _, tr = in_memory(make_config(overrides=[*DIGITS, "train.ema=0.9"]))
    for _ in range(20):
        tr.train_step()
    ema = tr.G_eval
    live_stats = dict(tr.G.named_buffers())
    for name, b in ema.named_buffers():
        if name.endswith("running_mean"):
            assert not torch.equal(b, live_stats[name])
    fresh = copy.deepcopy(ema)
    standing_statistics(fresh, seed=CALIBRATION_SEED + tr.ema.updates)
    assert all(torch.equal(a, b) for a, b in zip(ema.buffers(), fresh.buffers()))
    # cached until the weights change, recomputed after
    before = [b.clone() for b in tr.G_eval.buffers()]
    assert all(torch.equal(a, b) for a, b in zip(before, tr.G_eval.buffers()))
    tr.train_step()
    assert not all(torch.equal(a, b) for a, b in zip(before, tr.G_eval.buffers()))


def test_a_groups_averages_get_each_runs_own_statistics():
    """Run i of a group: the same averaged weights and standing statistics as the lone run with seed i."""
    cfg = make_config(overrides=[*DIGITS, "train.runs=2"])
    dataset, game, G, D = build_group(cfg)
    tr = Trainer(G, D, game, dataset.train, cfg.train)
    for _ in range(5):
        tr.train_step()
    group = tr.G_eval
    for i in range(2):
        _, lone = in_memory(make_config(overrides=[*DIGITS, f"train.seed={i}"]))
        for _ in range(5):
            lone.train_step()
        mine, theirs = dict(group.unstack(i).named_buffers()), dict(lone.G_eval.named_buffers())
        for name, b in theirs.items():
            if name.endswith(("running_var", "running_mean")):
                torch.testing.assert_close(mine[name], b, rtol=1e-4, atol=1e-5, msg=name)
        torch.testing.assert_close(outputs(group.unstack(i)), outputs(lone.G_eval), rtol=1e-4, atol=1e-5)
