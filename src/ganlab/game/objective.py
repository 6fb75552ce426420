"""The Objective base class and its registry.

An objective is a frozen dataclass whose fields are its hyper-parameters. ``d_loss`` and
``g_loss`` are both *minimised*; each subclass's docstring states L_D, L_G, the sign
convention and the paper. Objectives are pure functions of a ``Batch``: no ``backward``,
no ``detach``, no devices.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.registry import Registry


@dataclasses.dataclass(frozen=True)
class Objective(abc.ABC):
    """Base class: a pair of losses (L_D, L_G), both minimised."""

    name: ClassVar[str] = "objective"
    #: how D's output is read: "logit" (σ(d) is a probability), "critic" (a real score),
    #: "energy", "loss", or "vector" (D outputs Rⁿ). Used by diagnostics and the Dirac GAN.
    output: ClassVar[str] = "logit"
    #: registered names that compute the same pair of losses by design (tested).
    aliases: ClassVar[tuple[str, ...]] = ()
    #: the 2-D mode benchmark's settings for this objective (dotted config overrides) and why;
    #: None: the benchmark's documented default (R1 γ = 1, the preset's optimiser).
    benchmark: ClassVar[tuple[tuple[str, ...], str] | None] = None

    @abc.abstractmethod
    def d_loss(self, batch: Batch) -> torch.Tensor:
        """Discriminator loss L_D (scalar, minimised over D's parameters)."""

    @abc.abstractmethod
    def g_loss(self, batch: Batch) -> torch.Tensor:
        """Generator loss L_G (scalar, minimised over G's parameters)."""


OBJECTIVES: Registry[type[Objective]] = Registry("objective")
