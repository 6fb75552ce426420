"""What the loop is told and what G is fed: callbacks at cadences (``Every``) and the generator's
input (``Latent``: z ~ N(0, I); ``ConditionalLatent``: (z, y); a Localized GAN feeds (x, z)).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

Trainer = Any  # a ganlab.train.Trainer: that module imports this one, so it is named, not imported


@dataclasses.dataclass
class Every:
    """``fn(trainer)`` after every ``every``-th G step (0: not by cadence); also after the last
    step (``at_end``), after a step that a signal stopped (``on_stop``), before the first step
    of a fresh run (``at_start``). ``guarded``: losses and weights are checked finite first.
    ``main_only``: only rank 0 of a distributed run calls it."""

    every: int
    fn: Callable[[Trainer], None]
    at_end: bool = False
    on_stop: bool = False
    at_start: bool = False
    guarded: bool = False
    main_only: bool = True

    def due(self, step: int, final: int, stop: bool) -> bool:
        return bool(self.every and step % self.every == 0) or (self.at_end and step == final) or (self.on_stop and stop)


@dataclasses.dataclass
class GenInput:
    """One batch of generator input: ``G(*args)``, the latent ``z`` the generator-side penalties
    differentiate, and ``chart(G)``: G as a function of z alone (G itself when args = (z,))."""

    args: tuple[torch.Tensor, ...]
    z: torch.Tensor
    chart: Callable[[nn.Module], Callable[[torch.Tensor], torch.Tensor]] | None = None
    y: torch.Tensor | None = None  # the class labels G was asked for (conditional)

    def as_function_of_z(self, G: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
        return G if self.chart is None else self.chart(G)


class Latent:
    """z ~ N(0, I) of ``G.z_dim``, from the trainer's noise stream (the default generator input)."""

    def draw(self, trainer: Trainer, n: int | None = None) -> GenInput:
        z = trainer.sample_z(n)
        return GenInput((z,), z)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class ConditionalLatent(Latent):
    """(z, y) for a class-conditional G(z, y): y the labels of the real batch ("matched": each
    fake is compared with reals of its class distribution, and an interpolate between a real and
    a fake stays within one class), or uniform over the classes ("uniform"; also for samples
    drawn outside a step)."""

    def __init__(self, n_classes: int, fake_labels: str = "matched") -> None:
        self.n_classes, self.fake_labels = n_classes, fake_labels

    def draw(self, trainer: Trainer, n: int | None = None) -> GenInput:
        z = trainer.sample_z(n)
        if n is None and self.fake_labels == "matched":
            y = trainer.real_labels()
        else:
            y = trainer._mine(trainer.streams.uniform_labels(n or trainer.cfg.batch_size, self.n_classes))
        return GenInput((z, y), z, chart=lambda G: (lambda z_: G(z_, y)), y=y)
