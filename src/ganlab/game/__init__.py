"""The mathematics of GANs: objectives, penalties, constraints, written once as pure functions."""

from ganlab.game import auxiliary as _auxiliary  # noqa: F401  (registers acgan and infogan)
from ganlab.game import objectives as _objectives  # noqa: F401  (registers the objectives)
from ganlab.game.batch import Batch
from ganlab.game.constraints import CONSTRAINTS, Constraint
from ganlab.game.game import Game
from ganlab.game.objective import OBJECTIVES, Objective
from ganlab.game.penalties import PENALTIES, Penalty, grad_sq_norm

__all__ = [
    "Batch",
    "CONSTRAINTS",
    "Constraint",
    "Game",
    "OBJECTIVES",
    "Objective",
    "PENALTIES",
    "Penalty",
    "grad_sq_norm",
]
