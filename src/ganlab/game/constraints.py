"""Constraints: projections applied to a player's weights after its optimiser step.

Spectral normalisation is a reparametrisation, so it is applied when the nets are built
(``nets``), not here.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import ClassVar

import torch
from torch import nn

from ganlab.registry import Registry


@dataclasses.dataclass(frozen=True)
class Constraint(abc.ABC):
    """Base class: ``apply(module)`` projects the weights of ``player`` in place."""

    name: ClassVar[str] = "constraint"
    player: ClassVar[str] = "D"

    @abc.abstractmethod
    def apply(self, module: nn.Module) -> None:
        """Project ``module``'s weights in place (every registered constraint defines it)."""


CONSTRAINTS: Registry[type[Constraint]] = Registry("constraint")


@CONSTRAINTS.register("clip")
@dataclasses.dataclass(frozen=True)
class Clip(Constraint):
    """w ← clip(w, −c, c) for every parameter of D (WGAN, Arjovsky et al. 2017; c = 0.01)."""

    c: float = 0.01  # Arjovsky et al. 2017, Algorithm 1

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError(f"clip c must be positive, got {self.c}")

    @torch.no_grad()
    def apply(self, module: nn.Module) -> None:
        for p in module.parameters():
            p.clamp_(-self.c, self.c)
