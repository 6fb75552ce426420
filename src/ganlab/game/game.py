"""Game = objective + penalties + constraints: everything the trainer and the Dirac GAN optimise."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch

from ganlab.game.batch import Batch
from ganlab.game.constraints import Constraint
from ganlab.game.objective import Objective
from ganlab.game.penalties import Penalty

PLAYERS = ("D", "G")


@dataclasses.dataclass(frozen=True)
class Game:
    """A GAN objective with its regularisers.

    ``losses(batch, player)`` returns the named loss terms of one player (``"loss"`` for the
    objective, then one entry per active penalty under its registry name), so every term can
    be logged by name; the player minimises their sum. Lazy regularisation: a penalty with
    ``every=k`` is active on steps that are multiples of k and then scaled by k, so its
    average weight is unchanged (Karras et al. 2020).
    """

    objective: Objective
    penalties: Sequence[Penalty] = ()
    constraints: Sequence[Constraint] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "penalties", tuple(self.penalties))
        object.__setattr__(self, "constraints", tuple(self.constraints))

    def losses(self, batch: Batch, player: str, step: int = 0) -> dict[str, torch.Tensor]:
        """Named loss terms of ``player`` ("D" or "G") on ``batch`` at optimisation ``step``:
        scalars, or one value per run (N,) for a group's batch."""
        if player not in PLAYERS:
            raise ValueError(f"player must be 'D' or 'G', got {player!r}")
        loss = self.objective.d_loss if player == "D" else self.objective.g_loss
        if batch.runs:  # each run's objective on its own slice: its batch means stay its own
            terms = {"loss": torch.stack([loss(batch.run(i)) for i in range(batch.runs)])}
        else:
            terms = {"loss": loss(batch)}
        for pen in self.penalties:
            if not pen.acts_on(player) or step % pen.every:
                continue
            key = pen.name if pen.name not in terms else f"{pen.name}_{len(terms)}"
            value = pen.term(batch, player)
            terms[key] = value * pen.every if pen.every != 1 else value
        return terms

    def total(self, batch: Batch, player: str, step: int = 0) -> torch.Tensor:
        """The sum of ``losses(batch, player, step)``."""
        return torch.stack(list(self.losses(batch, player, step).values())).sum()

    @property
    def aux_outputs(self) -> int:
        """Outputs D's auxiliary head must have for the penalties (0: none)."""
        return max((p.aux_outputs for p in self.penalties), default=0)

    def needs_real_grad(self) -> bool:
        """True when a D penalty differentiates D at the real samples (R1): the trainer then
        creates ``x_real`` with ``requires_grad`` so the penalty reuses the cached ``d_real``."""
        return any(p.player == "D" and p.uses_real_grad for p in self.penalties)

    def apply_constraints(self, modules: dict[str, torch.nn.Module]) -> None:
        """Project each player's weights after its optimiser step (e.g. WGAN clipping)."""
        for con in self.constraints:
            module = modules.get(con.player)
            if module is not None:
                con.apply(module)

    def describe(self) -> str:
        parts = [self.objective.name] + [p.name for p in self.penalties] + [c.name for c in self.constraints]
        return " + ".join(parts)
