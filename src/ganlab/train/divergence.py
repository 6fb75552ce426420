"""Divergence: a loss term or a weight that became NaN or Inf stops a run with one line; in a
group of runs only the runs that diverged are frozen, and the others go on.
"""

from __future__ import annotations

from typing import Any

import torch

from ganlab.errors import GanlabError

Trainer = Any  # a ganlab.train.Trainer: that module imports this one, so it is named, not imported


class DivergenceError(GanlabError):
    """A loss term or a weight became NaN or Inf."""

    def __init__(self, term: str, step: int) -> None:
        self.term, self.step = term, step
        super().__init__(
            f"training diverged: {term} is NaN or Inf at step {step}",
            "the last good checkpoint is untouched; lower train.lr_d / train.lr_g or add a penalty and resume with --resume RUN --force, "
            "or set train.on_divergence=rollback to do that automatically",
        )


def any_rank(trainer: Trainer, flag: bool) -> bool:
    """True on every rank when ``flag`` is true on any (a no-op outside torchrun)."""
    import torch.distributed as dist

    device = trainer.device if trainer.device.type == "cuda" else "cpu"
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def check_finite(trainer: Trainer) -> None:
    """Raise ``DivergenceError`` when a loss term or a weight is NaN/Inf (on every rank when
    distributed: a rank that stopped alone would leave the others waiting forever). In a group,
    a run that diverged is frozen instead; only when all have does it raise."""
    if trainer.group:
        _check_group(trainer)
        return
    bad = trainer.meter.divergence()
    if bad is None:
        for who, net in (("G", trainer.G), ("D", trainer.D)):
            name = next((n for n, p in net.named_parameters() if not torch.isfinite(p).all()), None)
            if name is not None:
                bad = (f"{who} weight {name}", trainer.step)
                break
    if trainer.dist.enabled and any_rank(trainer, bad is not None) and bad is None:
        bad = ("a loss term on another process", trainer.step)
    if bad is not None:
        raise DivergenceError(*bad)


def _check_group(trainer: Trainer) -> None:
    frozen = trainer.frozen
    found = {r: ts for r, ts in trainer.meter.divergence_per_run().items() if r not in frozen.runs}
    for who, net in (("G", trainer.G), ("D", trainer.D)):
        for name, p in net.named_parameters():
            bad = (~torch.isfinite(p.detach().reshape(trainer.runs, -1))).any(1).nonzero().flatten().tolist()
            for r in bad:
                found.setdefault(r, (f"{who} weight {name}", trainer.step))
    frozen.runs.update(found)
    frozen.hold()  # back to the weights of the last check, when they were finite
    alive = [r for r in range(trainer.runs) if r not in frozen.runs]
    if not alive:
        term, step = min(frozen.runs.values(), key=lambda ts: ts[1])
        raise DivergenceError(f"{term} (every run of the group)", step)
    frozen.remember(alive)
