"""Training: the loop, optimisers, EMA, checkpoints, run folders."""

from ganlab.train.run import Run, load_run, resume, train
from ganlab.train.trainer import DivergenceError, Trainer

__all__ = ["DivergenceError", "Run", "Trainer", "load_run", "resume", "train"]
