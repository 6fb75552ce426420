"""When a run is interrupted or diverges: signals stop it cleanly, a divergence rolls it back.

SIGINT / SIGTERM ask the trainer to checkpoint and stop after the current step (a second
Ctrl-C stops at once; the last checkpoint stays valid). With ``train.on_divergence=rollback``
a NaN reloads the newest good checkpoint (or the starting state) with both learning rates
multiplied by ``train.rollback_lr_factor``, at most ``train.max_rollbacks`` times.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator

from ganlab.errors import GanlabError
from ganlab.train.checkpoint import latest_checkpoint
from ganlab.train.hooks import RunHooks
from ganlab.train.optim import set_learning_rates
from ganlab.train.trainer import DivergenceError, Trainer


@contextlib.contextmanager
def stop_on_signals(trainer: Trainer) -> Iterator[None]:
    """SIGINT / SIGTERM ask the trainer to checkpoint and stop after the current step."""

    def handler(signum, frame):  # noqa: ARG001
        if trainer.stop_requested:  # a second Ctrl-C: stop now, the last checkpoint stays valid
            raise KeyboardInterrupt
        trainer.stop_requested = True

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread: leave signals alone
            pass
    try:
        yield
    finally:
        for sig, h in previous.items():
            signal.signal(sig, h)


def roll_back(trainer: Trainer, hooks: RunHooks, err: DivergenceError, origin: dict | None) -> None:
    """Reload the newest good checkpoint (or ``origin``, the starting state, when there is none)
    with both learning rates multiplied by train.rollback_lr_factor, and log it."""
    t = hooks.cfg.train
    done = hooks.progress.rollbacks
    if done >= t.max_rollbacks:
        if not t.max_rollbacks:
            raise err
        raise GanlabError(
            f"training diverged again: {err.term} is NaN or Inf at step {err.step}, after {done} rollback(s)",
            "the last good checkpoint is untouched; lower train.lr_d / train.lr_g, add a penalty, or raise train.max_rollbacks",
        )
    found = latest_checkpoint(hooks.folder.checkpoints, trainer.device)
    state = found[0] if found is not None else origin
    if state is None:
        raise err
    scale = hooks.progress.lr_scale * t.rollback_lr_factor
    trainer.load_state_dict(state)
    trainer.stop_requested = False
    hooks.restore(state if found is not None else None)
    hooks.progress.rollbacks, hooks.progress.lr_scale = done + 1, scale
    set_learning_rates(trainer.opt_d, trainer.opt_g, t, scale)
    lr_d, lr_g = trainer.opt_d.param_groups[0]["lr"], trainer.opt_g.param_groups[0]["lr"]
    hooks.write({"step": trainer.step, "event": "rollback", "diverged_at": err.step, "term": err.term,
                 "rollback": done + 1, "lr_d": lr_d, "lr_g": lr_g})  # fmt: skip
    print(
        f"warning: {err.term} is NaN or Inf at step {err.step}; rolled back to step {trainer.step} with lr_d={lr_d:.3g}, "
        f"lr_g={lr_g:.3g} (rollback {done + 1} of at most {t.max_rollbacks})",
        file=sys.stderr,
    )
