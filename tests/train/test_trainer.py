"""The Trainer: simultaneous updates, a short 2-D run that covers the modes, every objective trains without
NaN, mixed precision and memory layout switches. (Runs in a folder — resume, stop, divergence: tests/test_api.py.)"""

import pytest
import torch

from ganlab import GanlabError
from ganlab.api import build, load_run, train
from ganlab.config import make_config
from ganlab.game import OBJECTIVES
from ganlab.train import Trainer
from tests.helpers import TINY_STREAMS


def test_simultaneous_updates_use_the_same_parameters(tmp_path):
    """Simultaneous mode: D's and G's gradients both come from the parameters before either step."""
    cfg = make_config(overrides=[*TINY_STREAMS, "train.n_critic=1", "train.simultaneous=true", "train.steps=1", "game.penalties=[]"])
    dataset, game, G, D = build(cfg)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)
    d_before = {k: v.clone() for k, v in D.state_dict().items()}
    trainer.train_step()
    assert trainer.step == 1 and trainer.d_step == 1
    assert any(not torch.equal(d_before[k], v) for k, v in D.state_dict().items())


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


# --- every registered objective: a few hundred steps on ring8, nothing NaN -------------------------
OBJECTIVE_BASE = [
    "data.name=ring8",
    "data.n_points=2000",
    "model.z_dim=2",
    "model.width=32",
    "model.depth=2",
    "train.batch_size=64",
    "train.steps=200",
]
# the Lipschitz constraint WGAN needs to be a well-posed game (Arjovsky et al. 2017)
EXTRA = {"wasserstein": ["game.constraints=[{name: clip, c: 0.05}]"]}


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_objective_trains_without_nan(name):
    cfg = make_config(overrides=[*OBJECTIVE_BASE, f"game.objective={name}", *EXTRA.get(name, [])])
    dataset, game, G, D = build(cfg)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)
    for _ in range(cfg.train.steps):
        trainer.train_step()
    trainer.check_finite()  # raises DivergenceError naming the term and step
    values = trainer.meter.flush()
    assert values and all(v == v and abs(v) < float("inf") for v in values.values()), values
    with torch.no_grad():
        x = trainer.G_eval(torch.randn(256, 2))
    assert torch.isfinite(x).all()


# --- mixed precision and memory layout (CPU autocast here; GPU throughput lives in benchmarks/) ----
PRECISION_BASE = ["model.width=8", "model.z_dim=8", "train.batch_size=16", "game.penalties=[{name: r1, gamma: 1}]"]


@pytest.mark.parametrize("precision,channels_last", [("bf16", False), ("fp16", False), ("fp32", True), ("bf16", True)])
def test_precision_and_layout_train_finite(precision, channels_last):
    cfg = make_config(overrides=[*PRECISION_BASE, f"train.precision={precision}", f"train.channels_last={channels_last}"])
    dataset, game, G, D = build(cfg)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)
    before = [p.detach().clone() for p in trainer.G.parameters()]
    for _ in range(3):
        trainer.train_step()
    trainer.check_finite()
    values = trainer.meter.flush()
    assert set(values) == {"D/loss", "D/r1", "G/loss"}
    assert all(v == v for v in values.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.G.parameters()))
    # the weights stay fp32: autocast changes the arithmetic, not the parameters
    assert all(p.dtype == torch.float32 for p in trainer.G.parameters())
    if channels_last:
        conv = next(m for m in trainer.D.modules() if isinstance(m, torch.nn.Conv2d))
        assert conv.weight.is_contiguous(memory_format=torch.channels_last)


def test_unknown_precision_is_a_one_line_error():
    with pytest.raises(GanlabError, match='unknown train.precision "fp8"'):
        cfg = make_config(overrides=[*PRECISION_BASE, "train.precision=fp8"])
        dataset, game, G, D = build(cfg)
        Trainer(G, D, game, dataset.train, cfg.train)
