"""Constraints on the players' weights."""

import pytest
import torch
from torch import nn

from ganlab.game.factory import make_game


def test_clip_constraint_projects_d_weights():
    game = make_game("wasserstein", constraints=[{"name": "clip", "c": 0.05}])
    D = nn.Linear(4, 1)
    G = nn.Linear(2, 4)
    with torch.no_grad():
        D.weight.fill_(3.0)
        G.weight.fill_(3.0)
    game.apply_constraints({"D": D, "G": G})
    assert D.weight.abs().max().item() == pytest.approx(0.05)
    assert G.weight.max().item() == 3.0  # only D is clipped
