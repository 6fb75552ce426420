"""A group's state, one run at a time: what run i of N trained together would hold if trained alone.

``run_state(trainer, i)`` cuts run i out of a group trainer — its networks, EMA, optimiser
moments, streams and pending loss records — in exactly the layout of a lone run's checkpoint;
``load_run_state`` puts one back. Each run of a group therefore has an ordinary run folder
(``ganlab sample``, ``eval``, ``report`` work on it), and a group resumes by stacking its runs'
checkpoints again. ``Frozen`` keeps a diverged run at its last finite weights while the others
train on.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganlab.nets.stacked import Stacked
from ganlab.train.state import capture_rng


def _opt_slice(opt: torch.optim.Optimizer, i: int, runs: int) -> dict:
    """Run i's part of an optimiser over stacked parameters (per-parameter tensors sliced; the
    shared step counter kept), as the state dict of the same optimiser over one run's parameters."""
    full = opt.state_dict()
    state = {}
    for idx, st in full["state"].items():
        state[idx] = {k: (v[i].clone() if torch.is_tensor(v) and v.dim() > 0 and v.shape[0] == runs else v) for k, v in st.items()}
    return {"state": state, "param_groups": full["param_groups"]}


def _opt_load(opt: torch.optim.Optimizer, states: list[dict]) -> None:
    """Stack the runs' optimiser states back into the group's optimiser."""
    first = states[0]
    merged = {}
    for idx, st in first["state"].items():
        merged[idx] = {
            k: (torch.stack([s["state"][idx][k] for s in states]) if torch.is_tensor(v) and v.dim() > 0 else v) for k, v in st.items()
        }
    opt.load_state_dict({"state": merged, "param_groups": first["param_groups"]})


def _meter_slice(meter_state: dict, i: int) -> dict:
    return {"values": {k: v[:, i] for k, v in meter_state["values"].items()}, "steps": meter_state["steps"]}


def run_state(trainer: Any, i: int) -> dict:
    """Run i of a group trainer as a lone trainer's ``state_dict``."""
    G, D = trainer.G, trainer.D
    ema = trainer.ema
    runs = trainer.runs
    return {
        "step": trainer.step,
        "d_step": trainer.d_step,
        "G": G.member_state(i),
        "D": D.member_state(i),
        "ema": {"model": ema.model.member_state(i), "updates": ema.updates} if ema is not None else None,
        "opt_g": _opt_slice(trainer.opt_g, i, runs),
        "opt_d": _opt_slice(trainer.opt_d, i, runs),
        **trainer.streams.state_dict(i),
        "latent": trainer.latent.state_dict(),
        "rng": capture_rng(),
        "meter": _meter_slice(trainer.meter.state_dict(), i),
        "scaler_g": trainer.scaler_g.state_dict(),
        "scaler_d": trainer.scaler_d.state_dict(),
    }


def load_run_states(trainer: Any, states: list[dict]) -> None:
    """Set a group trainer from its runs' lone-layout states (one per run, same step)."""
    steps = {int(s["step"]) for s in states}
    if len(steps) != 1:
        raise ValueError(f"the runs of a group must resume from one step, got {sorted(steps)}")
    for i, s in enumerate(states):
        trainer.G.load_member_state(i, s["G"])
        trainer.D.load_member_state(i, s["D"])
        if trainer.ema is not None and s.get("ema") is not None:
            trainer.ema.stored.load_member_state(i, s["ema"]["model"])
        trainer.streams.load_state_dict(s, i)
    if trainer.ema is not None and states[0].get("ema") is not None:
        trainer.ema.updates = int(states[0]["ema"]["updates"])
        trainer.ema.mark_calibrated()
    _opt_load(trainer.opt_g, [s["opt_g"] for s in states])
    _opt_load(trainer.opt_d, [s["opt_d"] for s in states])
    meters = [s["meter"] for s in states]
    trainer.meter.load_state_dict({"values": {k: torch.stack([m["values"][k] for m in meters], dim=1) for k in meters[0]["values"]},
                                   "steps": meters[0]["steps"]}, trainer.device)  # fmt: skip
    trainer.step = int(states[0]["step"])
    trainer.d_step = int(states[0]["d_step"])


class Frozen:
    """Diverged runs of a group, held at their last finite weights while the others train on.

    ``remember`` copies the weights of the runs that are still finite (called at every check);
    after a divergence ``hold`` writes each frozen run's copy back after every step, so Adam's
    moments (which a NaN gradient has ruined) never move it again."""

    def __init__(self, nets: list[nn.Module]) -> None:
        self.tensors = [t for net in nets for t in (*net.parameters(), *net.buffers()) if isinstance(net, Stacked)]
        self.good = [t.detach().clone() for t in self.tensors]
        self.runs: dict[int, tuple[str, int]] = {}  # run → (term, step) where it diverged

    @torch.no_grad()
    def remember(self, alive: list[int]) -> None:
        for t, g in zip(self.tensors, self.good):
            g[alive] = t[alive]

    @torch.no_grad()
    def hold(self) -> None:
        if not self.runs:
            return
        idx = sorted(self.runs)
        for t, g in zip(self.tensors, self.good):
            t[idx] = g[idx]
