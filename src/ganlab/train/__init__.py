"""Training: the one loop (``Trainer.fit`` with callbacks), optimisers, EMA, checkpoints, run folders.

Wiring a run from a config (data + game + nets + Trainer + metrics) is ``ganlab.api``'s job.
"""

from ganlab.train.divergence import DivergenceError
from ganlab.train.inputs import Every, GenInput, Latent
from ganlab.train.trainer import Trainer

__all__ = ["DivergenceError", "Every", "GenInput", "Latent", "Trainer"]
