"""A smoke run of every registered objective on ring8: a few hundred steps, nothing NaN."""

import pytest
import torch

from ganlab.api import build
from ganlab.config import make_config
from ganlab.game import OBJECTIVES
from ganlab.train.trainer import Trainer

BASE = [
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
    cfg = make_config(overrides=[*BASE, f"game.objective={name}", *EXTRA.get(name, [])])
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
