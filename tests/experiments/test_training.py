"""Training in memory for the experiments: train_loop and its extra EMAs of G."""

from __future__ import annotations

import torch


def test_second_ema_matches_trainer_ema() -> None:
    from ganlab.experiments.training import POINTS_BASE, make, train_loop

    run = train_loop(make([*POINTS_BASE, "data.name=ring8", "data.n_points=2000", "train.steps=20", "train.ema=0.999"]),
                     extra_ema=(0.999,))  # fmt: skip
    for a, b in zip(run.trainer.G_eval.parameters(), run.extra_ema[0.999].model.parameters()):
        torch.testing.assert_close(a, b)
