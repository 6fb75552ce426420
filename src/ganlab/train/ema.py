"""Exponential moving average of the generator's weights (seed 004: the EMA of an orbit sits
near its centre, the equilibrium; Yazıcı et al. 2019), with BatchNorm statistics of its own."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ganlab.nets.stacked import Stacked

CALIBRATION_BATCHES = 16  # forward passes that estimate the averaged weights' BatchNorm statistics
CALIBRATION_BATCH = 256  # latent vectors per pass: 4,096 in all, an error of the mean ~1.6 % of a std
CALIBRATION_SEED = 1_000_000_007  # + the update count: apart from every training stream


class EMA:
    """θ_ema ← β_t θ_ema + (1 − β_t) θ after each G step.

    β_t = min(β, (1 + t) / (10 + t)) warms up the average so that a short run is not dominated
    by the random initial weights (the num_updates rule of TensorFlow's ExponentialMovingAverage).

    BatchNorm: the live G's running statistics belong to the live weights, not to their average
    (copying them made the EMA generator sample worse than the raw one). So the averaged
    weights get statistics of their own — "standing statistics": the running statistics are
    reset and re-estimated by ``CALIBRATION_BATCHES`` forward passes in training mode, without
    gradients, on fresh z from a generator seeded by the update count (the same weights always
    get the same statistics, so an exact resume stays exact). They are recomputed lazily, when
    the averaged generator is read after its weights changed (``model``: samples, metrics,
    checkpoints). Other buffers (spectral-norm vectors) are copied from the live G.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self._model = copy.deepcopy(model).eval().requires_grad_(False)
        self._norm_buffers = _batchnorm_buffer_names(self._model)
        self._calibrated_at = 0  # the update count its BatchNorm statistics were estimated at

    @property
    def model(self) -> nn.Module:
        """The averaged generator, its BatchNorm statistics estimated for its own weights."""
        if self._norm_buffers and self._calibrated_at != self.updates:
            self.calibrate()
        return self._model

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        beta = min(self.decay, (1 + self.updates) / (10 + self.updates))
        # one foreach op for all parameters (bit-identical to a lerp_ per parameter)
        torch._foreach_lerp_(list(self._model.parameters()), list(model.parameters()), 1.0 - beta)
        for (name, b_ema), b in zip(self._model.named_buffers(), model.buffers()):
            if name not in self._norm_buffers:
                b_ema.copy_(b)
        if not self._norm_buffers:
            self._calibrated_at = self.updates

    def calibrate(self) -> None:
        """Re-estimate the BatchNorm statistics of the averaged weights (see the class docstring)."""
        standing_statistics(self._model, seed=CALIBRATION_SEED + self.updates)
        self._calibrated_at = self.updates

    @property
    def stored(self) -> nn.Module:
        """The averaged generator as stored, without re-estimating its statistics first."""
        return self._model

    def mark_calibrated(self) -> None:
        """Its statistics were just set for the current weights (e.g. loaded from a checkpoint)."""
        self._calibrated_at = self.updates

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self._model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
        self._calibrated_at = self.updates  # a checkpoint holds statistics estimated for its weights


@torch.no_grad()
def standing_statistics(m: nn.Module, seed: int, batches: int = CALIBRATION_BATCHES, batch: int = CALIBRATION_BATCH) -> None:
    """Reset the BatchNorm running statistics of generator ``m`` and estimate them for its current
    weights: ``batches`` forward passes in training mode, no gradients, z ~ N(0, I) (or m's
    ``prior``; balanced classes for a conditional m) from a generator seeded ``seed`` (a
    cumulative average over the passes); ``m`` ends in eval mode. A deterministic function of
    the weights and the seed."""
    names = _batchnorm_buffer_names(m)
    if not names:
        return
    layers = [x for x in _structure(m).modules() if isinstance(x, _BatchNorm)]
    momenta = [x.momentum for x in layers]
    device = next(m.parameters()).device
    for name, b in m.named_buffers():
        if name in names:
            b.fill_(1.0 if name.endswith("running_var") else 0.0)
    gen = torch.Generator(device=device).manual_seed(seed)
    m.train()
    try:
        for k in range(1, batches + 1):
            for x in layers:
                x.momentum = 1.0 / k  # pass k weighs 1/k: a cumulative average over the passes
            prior = getattr(m, "prior", None)
            z = prior(batch, gen, device) if prior is not None else torch.randn(batch, m.z_dim, generator=gen, device=device)
            # every run of a group sees the z a lone run would: its statistics are a lone run's
            args = [z.expand(m.runs, *z.shape) if isinstance(m, Stacked) else z]
            k = getattr(m, "n_classes", None)
            if k:  # a conditional G at balanced classes, as it is evaluated
                y = torch.arange(batch, device=device) % k
                args.append(y.expand(m.runs, batch) if isinstance(m, Stacked) else y)
            m(*args)
    finally:
        m.eval()
        for x, mom in zip(layers, momenta):
            x.momentum = mom


def _structure(m: nn.Module) -> nn.Module:
    """The module whose layers define the computation (a stacked group's shared structure)."""
    return m.base if isinstance(m, Stacked) else m


def _batchnorm_buffer_names(m: nn.Module) -> set[str]:
    """Names (as ``m.named_buffers`` reports them) of the running statistics of its BatchNorm layers."""
    names = set()
    for prefix, layer in _structure(m).named_modules():
        if isinstance(layer, _BatchNorm) and layer.track_running_stats:
            for b in ("running_mean", "running_var", "num_batches_tracked"):
                names.add(f"{prefix}.{b}" if prefix else b)
    if isinstance(m, Stacked):  # a group registers them with dots replaced
        names = {n.replace(".", "__") for n in names}
    return names
