"""Temporarily switching a network's mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def frozen_eval(module: nn.Module) -> Iterator[nn.Module]:
    """Eval mode (BatchNorm on running statistics, so samples do not depend on the batch they
    are computed in) and no parameter gradients; both restored on exit."""
    was_training = module.training
    flags = [p.requires_grad for p in module.parameters()]
    module.eval().requires_grad_(False)
    try:
        yield module
    finally:
        module.train(was_training)
        for p, f in zip(module.parameters(), flags):
            p.requires_grad_(f)
