"""A group's run folders: each run of a group trainer is written as if it had trained alone.

``RunView(trainer, i)`` shows run i of a group trainer with a lone trainer's face — its loss
record, its networks (unstacked copies), its state dict — so the ordinary ``RunHooks`` write its
folder unchanged. ``GroupHooks`` holds one ``RunHooks`` per run and gives ``Trainer.fit`` one set
of callbacks that serve every run that has not diverged; a diverged run's folder gets one
"diverged" record and keeps its last good checkpoint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ganlab.train.hooks import RunHooks
from ganlab.train.trainer import Every, Trainer


class RunView:
    """Run i of a group trainer, seen by the run-folder hooks as a lone trainer."""

    def __init__(self, trainer: Trainer, i: int) -> None:
        self.trainer, self.i = trainer, i

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def device(self) -> torch.device:
        return self.trainer.device

    @property
    def record(self) -> dict[str, Any]:
        return {k: (v[self.i] if isinstance(v, list) else v) for k, v in self.trainer.record.items()}

    @functools.cached_property
    def G(self) -> nn.Module:  # noqa: N802 — the name every hook reads
        return self.trainer.G.unstack(self.i)

    @functools.cached_property
    def D(self) -> nn.Module:  # noqa: N802
        return self.trainer.D.unstack(self.i)

    @functools.cached_property
    def G_eval(self) -> nn.Module:  # noqa: N802
        return self.trainer.G_eval.unstack(self.i) if self.trainer.ema is not None else self.G

    def state_dict(self) -> dict:
        return self.trainer.state_dict(self.i)


class GroupHooks:
    """The callbacks of a group: each run's ``RunHooks``, called for the runs still alive."""

    def __init__(self, runs: list[RunHooks]) -> None:
        self.runs = runs
        self.reported: set[int] = set()  # runs whose divergence is already in their log
        self.pbar: Any = None

    @property
    def cfg(self) -> Any:
        return self.runs[0].cfg

    def callbacks(self) -> list[Every]:
        per_run = [h.callbacks() for h in self.runs]
        out = []
        for k, cb in enumerate(per_run[0]):
            out.append(Every(cb.every, self._each([cbs[k].fn for cbs in per_run]), at_end=cb.at_end, on_stop=cb.on_stop,
                             at_start=cb.at_start, guarded=cb.guarded, main_only=cb.main_only))  # fmt: skip
        out.append(Every(self.cfg.train.log_every, self._progress, at_end=True))
        return out

    def _each(self, fns: list[Callable[[Any], None]]) -> Callable[[Trainer], None]:
        def call(trainer: Trainer) -> None:
            self._report_divergence(trainer)
            for i, fn in enumerate(fns):
                if i not in trainer.frozen.runs:
                    fn(RunView(trainer, i))

        return call

    def _report_divergence(self, trainer: Trainer) -> None:
        """A run that diverged: one record in its log, and a checkpoint of the weights it is
        frozen at (marked, so that a resumed group freezes it again)."""
        for i, (term, step) in trainer.frozen.runs.items():
            if i not in self.reported:
                h = self.runs[i]
                h.write({"step": trainer.step, "event": "diverged", "term": term, "diverged_at": step})
                h.diverged = {"term": term, "step": step}
                h.checkpoint(RunView(trainer, i))
                self.reported.add(i)

    def _progress(self, trainer: Trainer) -> None:
        if self.pbar is not None:
            alive = trainer.runs - len(trainer.frozen.runs)
            self.pbar.set_postfix({"runs": f"{alive}/{trainer.runs}"}, refresh=False)
            self.pbar.update(trainer.step - self.pbar.n)

    def restore(self, states: list[dict] | None) -> None:
        for h, s in zip(self.runs, states or [None] * len(self.runs)):
            h.restore(s)
