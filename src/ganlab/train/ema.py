"""Exponential moving average of the generator's weights (seed 004: the EMA of an orbit sits
near its centre, the equilibrium; Yazıcı et al. 2019)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """θ_ema ← β_t θ_ema + (1 − β_t) θ after each G step, buffers (BatchNorm statistics) copied.

    β_t = min(β, (1 + t) / (10 + t)) warms up the average so that a short run is not dominated
    by the random initial weights (the num_updates rule of TensorFlow's ExponentialMovingAverage).
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        beta = min(self.decay, (1 + self.updates) / (10 + self.updates))
        # one foreach op for all parameters (bit-identical to a lerp_ per parameter)
        torch._foreach_lerp_(list(self.model.parameters()), list(model.parameters()), 1.0 - beta)
        for b_ema, b in zip(self.model.buffers(), model.buffers()):
            b_ema.copy_(b)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
