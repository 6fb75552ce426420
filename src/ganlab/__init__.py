"""ganlab: GAN objectives, training, honest metrics, dynamics and experiments in one library."""

from ganlab.errors import GanlabError
from ganlab.game import (
    CONSTRAINTS,
    OBJECTIVES,
    PENALTIES,
    Batch,
    Constraint,
    Game,
    Objective,
    Penalty,
    grad_sq_norm,
)
from ganlab.game.factory import make_game
from ganlab.registry import Registry

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "CONSTRAINTS",
    "Constraint",
    "Game",
    "GanlabError",
    "OBJECTIVES",
    "Objective",
    "PENALTIES",
    "Penalty",
    "Registry",
    "__version__",
    "grad_sq_norm",
    "make_game",
]
