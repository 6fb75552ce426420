"""Mixed precision and memory layout switches run and stay finite (CPU autocast here; the GPU
throughput numbers live in benchmarks/)."""

import pytest
import torch

from ganlab import GanlabError
from ganlab.api import build
from ganlab.config import make_config
from ganlab.train.trainer import Trainer

BASE = ["model.width=8", "model.z_dim=8", "train.batch_size=16", "game.penalties=[{name: r1, gamma: 1}]"]


@pytest.mark.parametrize("precision,channels_last", [("bf16", False), ("fp16", False), ("fp32", True), ("bf16", True)])
def test_precision_and_layout_train_finite(precision, channels_last):
    cfg = make_config(overrides=[*BASE, f"train.precision={precision}", f"train.channels_last={channels_last}"])
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
        cfg = make_config(overrides=[*BASE, "train.precision=fp8"])
        dataset, game, G, D = build(cfg)
        Trainer(G, D, game, dataset.train, cfg.train)
