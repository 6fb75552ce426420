"""Optimisers by name, and setting their learning rates after a checkpoint is loaded."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from ganlab.config import TrainConfig

_MAKERS = {
    # Adam (β as given; ``fused`` = the single-kernel CUDA Adam, one launch for all parameters)
    "adam": lambda params, lr, betas, fused: torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None),
    "rmsprop": lambda params, lr, betas, fused: torch.optim.RMSprop(params, lr=lr),  # WGAN
    "sgd": lambda params, lr, betas, fused: torch.optim.SGD(params, lr=lr),  # the Dirac-GAN analyses
}


def make_optimizer(
    name: str, params: Iterable[nn.Parameter], lr: float, betas: tuple[float, float], fused: bool = False
) -> torch.optim.Optimizer:
    """The optimiser ``name`` (one of ``config.OPTIMIZERS``, checked when the config is made)."""
    return _MAKERS[name](list(params), lr, betas, fused)


def set_learning_rates(opt_d: torch.optim.Optimizer, opt_g: torch.optim.Optimizer, cfg: TrainConfig, scale: float) -> None:
    """The configured learning rates (and Adam betas) times ``scale``. Called after loading a
    checkpoint, whose optimiser state would otherwise bring back the rates it was saved with:
    a rollback lowers them, and a resume with --force may change them."""
    for opt, lr, betas in ((opt_d, cfg.lr_d, cfg.betas_d), (opt_g, cfg.lr_g, cfg.betas_g)):
        for group in opt.param_groups:
            group["lr"] = lr * scale
            if "betas" in group:
                group["betas"] = tuple(betas)
