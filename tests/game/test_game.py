"""The Game: named loss terms per player, lazy regularisation, the total."""

import torch
from numpy.testing import assert_allclose

from ganlab.game import PENALTIES, Batch, Game
from ganlab.game.factory import make_game
from ganlab.game.objectives.classic import NonSaturating
from tests.helpers import XF, XR, Quadratic


def test_game_collects_named_terms_and_lazy_regularisation():
    game = make_game("non_saturating", penalties=[{"name": "r1", "gamma": 1.0, "every": 4}, "gp"])
    D = Quadratic()
    b = lambda: Batch(D, XR, XF)  # noqa: E731
    assert set(game.losses(b(), "D", step=0)) == {"loss", "r1", "gp"}
    assert set(game.losses(b(), "D", step=1)) == {"loss", "gp"}
    assert set(game.losses(b(), "G", step=0)) == {"loss"}
    lazy = game.losses(b(), "D", step=8)["r1"].item()
    eager = PENALTIES.get("r1")(gamma=1.0)(b()).item()
    assert_allclose(lazy, 4 * eager, rtol=1e-12)  # gain k keeps the average weight


def test_game_total_is_sum_of_terms():
    game = Game(NonSaturating(), [PENALTIES.get("r2")()])
    D = Quadratic()
    torch.manual_seed(0)
    terms = game.losses(Batch(D, XR, XF), "D")
    assert_allclose(game.total(Batch(D, XR, XF), "D").item(), sum(t.item() for t in terms.values()), rtol=1e-12)
