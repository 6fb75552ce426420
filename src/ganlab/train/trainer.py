"""The training loop: D steps, G step, EMA, maintenance — the one loop every run trains with.

The Trainer owns optimisers, EMA, RNG streams and devices; the maths comes from a ``Game``.
It accepts any ``nn.Module`` G (with a ``z_dim`` attribute) and D. Files are not its business:
``fit`` calls callbacks at explicit cadences (``Every``), and whoever trains — a run folder
(``ganlab.api``), an experiment in memory, the Localized GAN — says what they do. What G is
fed comes from a ``Latent`` (z ~ N(0, I) by default; a Localized GAN feeds (x, z)).

**Groups.** With ``train.runs = N`` and G, D stacked (``nets.stacked``), the same loop trains N
independent runs with seeds seed … seed+N−1 at once: every tensor gets a leading run
dimension, each run draws from its own streams (``Streams``), the game evaluates each run's
objective on its own slice, the players minimise the *sum* of the runs' losses — whose gradient
is every run's own, as the runs share no parameter — and a run that diverges is frozen at its
last finite weights while the others go on.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ganlab.config import TrainConfig
from ganlab.errors import GanlabError
from ganlab.game import Batch, Game
from ganlab.train.distributed import DistInfo
from ganlab.train.divergence import DivergenceError, any_rank, check_finite
from ganlab.train.ema import EMA
from ganlab.train.group import Frozen, load_run_states, run_state
from ganlab.train.inputs import ConditionalLatent, Every, GenInput, Latent
from ganlab.train.log import TermMeter
from ganlab.train.optim import make_optimizer
from ganlab.train.state import capture_rng, restore_rng
from ganlab.train.streams import RANK_STRIDE, Streams

__all__ = ["DivergenceError", "Every", "GenInput", "Latent", "Trainer", "resolve_device"]  # the loop's surface, wherever each is defined

_AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}  # train.precision → autocast dtype (fp32: none)


class Trainer:
    """Alternating (n_critic D steps, then one G step) or simultaneous GAN training."""

    def __init__(
        self,
        G: nn.Module,
        D: nn.Module,
        game: Game,
        data: torch.Tensor,
        cfg: TrainConfig,
        dist: DistInfo | None = None,
        latent: Latent | None = None,
        labels: torch.Tensor | None = None,
    ) -> None:
        self.cfg = cfg
        self.dist = dist or DistInfo()
        if cfg.batch_size % self.dist.world:
            raise GanlabError(
                f"train.batch_size={cfg.batch_size} does not split evenly over {self.dist.world} processes",
                "use a global batch size divisible by the number of processes",
            )
        self.local_batch = cfg.batch_size // self.dist.world
        self.device = resolve_device(cfg.device)
        if self.dist.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.dist.local_rank)
        self.game = game
        n_classes = getattr(G, "n_classes", None)
        if n_classes and labels is None:
            raise GanlabError("a class-conditional G needs the training labels", "train on a labelled data set")
        self.latent = latent or (ConditionalLatent(n_classes, cfg.fake_labels) if n_classes else Latent())
        self.aux = getattr(D, "aux_outputs", 0) or None  # D's auxiliary head (AC-GAN classes, InfoGAN codes)
        self.runs = cfg.runs
        self.group = cfg.runs > 1
        if getattr(G, "runs", 1) != cfg.runs or getattr(D, "runs", 1) != cfg.runs:
            raise GanlabError(f"train.runs={cfg.runs} needs G and D stacked {cfg.runs} times (ganlab.nets.stacked)")
        # Seeds first: the global stream drives what has no generator of its own (dropout);
        # it differs per rank so that ranks do not draw alike for different samples.
        torch.manual_seed(cfg.seed + RANK_STRIDE * self.dist.rank)
        np.random.seed(cfg.seed)
        random.seed(cfg.seed)
        self.G = G.to(self.device)
        self.D = D.to(self.device)
        if cfg.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        # fused Adam takes no fp16 gradient scaler's inf checks on the way: foreach there
        impl = "foreach" if cfg.precision == "fp16" and cfg.optimizer_impl == "auto" else cfg.optimizer_impl
        self.opt_g = make_optimizer(cfg.optimizer_g, self.G.parameters(), cfg.lr_g, cfg.betas_g, impl, self.device)
        self.opt_d = make_optimizer(cfg.optimizer_d, self.D.parameters(), cfg.lr_d, cfg.betas_d, impl, self.device)
        self.ema = EMA(self.G, cfg.ema) if cfg.ema is not None else None
        self.streams = Streams(data.to(self.device), cfg.batch_size, [cfg.seed + i for i in range(cfg.runs)], self.device, self.dist.rank,
                               labels=None if not n_classes else torch.as_tensor(labels, dtype=torch.long).to(self.device))  # fmt: skip
        self.frozen = Frozen([self.G, self.D] + ([self.ema.stored] if self.ema is not None else [])) if self.group else None
        # What the steps call: DDP wrappers (one per network) when distributed, compiled
        # modules when asked. The raw modules stay in self.G / self.D for state and sampling.
        self.G_train, self.D_train = self._wrap(self.G, "G"), self._wrap(self.D, "D")
        self.D_frozen = self._compiled(self.D, "D")  # D inside the G step: no DDP hooks, no grads
        dtype = _AUTOCAST.get(cfg.precision)
        self.autocast = (lambda: torch.autocast(self.device.type, dtype=dtype)) if dtype is not None else contextlib.nullcontext
        # fp16 needs loss scaling, one scaler per network since their losses differ in scale
        scaling = cfg.precision == "fp16"
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=scaling)
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=scaling)
        self.step = 0  # G updates done
        self.d_step = 0  # D updates done
        self.meter = TermMeter()
        self.record: dict[str, float | list[float]] = {}  # the newest loss record (means since the previous one; a list per run)
        self.stop_requested = False
        self.cpu_seconds = 0.0  # process CPU time spent in training steps (callbacks excluded)

    def _compiled(self, net: nn.Module, who: str) -> nn.Module:
        # torch.compile cannot trace the double backward of gradient penalties: D stays eager
        # whenever a D penalty differentiates through it.
        if not self.cfg.compile or (who == "D" and any(p.acts_on("D") for p in self.game.penalties)):
            return net
        return torch.compile(net)

    def _wrap(self, net: nn.Module, who: str) -> nn.Module:
        net = self._compiled(net, who)
        if not self.dist.enabled:
            return net
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [self.device.index] if self.device.type == "cuda" else None
        # No buffer sync at forward: D is called several times per step (reals, fakes, penalty
        # points); re-broadcasting BatchNorm buffers at each call would be wrong and slow.
        # torch ≥ 2.13 names it forward_sync_buffers; older releases broadcast_buffers.
        try:
            return DDP(net, device_ids=ids, forward_sync_buffers=False)
        except TypeError:
            return DDP(net, device_ids=ids, broadcast_buffers=False)

    @property
    def G_eval(self) -> nn.Module:
        """The generator to sample and evaluate with: the EMA copy when there is one."""
        return self.ema.model if self.ema is not None else self.G

    def _mine(self, x: torch.Tensor) -> torch.Tensor:
        """This rank's slice of a global batch."""
        if not self.dist.enabled:
            return x
        return x[self.dist.rank * self.local_batch : (self.dist.rank + 1) * self.local_batch]

    def sample_z(self, n: int | None = None) -> torch.Tensor:
        """Latent vectors: this rank's slice of a global batch (or ``n`` vectors when given),
        from G's own prior when it has one (InfoGAN's codes), else N(0, I)."""
        prior = getattr(self.G, "prior", None)
        draw = (lambda m: self.streams.latent(m, prior)) if prior is not None else (lambda m: self.streams.z(m, self.G.z_dim))
        if n is not None:
            return draw(n)
        return self._mine(draw(self.cfg.batch_size))

    def real_labels(self) -> torch.Tensor | None:
        """The labels of the newest real batch (this rank's slice), or None for unlabelled data."""
        y = self.streams.last_labels
        return None if y is None else self._mine(y)

    def _batch(self, D: nn.Module, x_real: torch.Tensor, x_fake: torch.Tensor, g_in: GenInput | None = None,
               y_fake: torch.Tensor | None = None) -> Batch:  # fmt: skip
        G, z = (g_in.as_function_of_z(self.G_train), g_in.z) if g_in is not None else (None, None)
        y_fake = g_in.y if g_in is not None else y_fake
        return Batch(D, x_real, x_fake, G, z, rng=self.streams.rng, runs=self.runs if self.group else None,
                     y_real=self.real_labels() if y_fake is not None else None, y_fake=y_fake, aux=self.aux)  # fmt: skip

    def _real(self) -> torch.Tensor:
        x = self._mine(self.streams.real())
        if x.dim() == 4 and self.cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        # R1 differentiates D at x_real: make it a leaf that requires grad so the penalty can
        # reuse the cached d_real instead of a second forward pass.
        return x.requires_grad_(True) if self.game.needs_real_grad() else x

    def _update(self, loss: torch.Tensor, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler) -> None:
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    def train_step(self) -> None:
        """One G update with its n_critic D updates (or one simultaneous update of both)."""
        if self.cfg.simultaneous:
            self._simultaneous_step()
            return
        # D steps
        for _ in range(self.cfg.n_critic):
            x_real = self._real()
            d_in = self.latent.draw(self)
            with torch.no_grad(), self.autocast():
                x_fake = self.G_train(*d_in.args)
            with self.autocast():
                # the fakes' latent rides along for the terms that read it (InfoGAN's codes), not G
                batch = self._batch(self.D_train, x_real, x_fake, y_fake=d_in.y)
                batch.z = d_in.z
                terms = self.game.losses(batch, "D", self.d_step)
            self._update(self._total(terms), self.opt_d, self.scaler_d)
            self.game.apply_constraints({"D": self.D})
            self.d_step += 1
        self.meter.add("D", terms, self.step + 1)

        # G step: D is frozen (requires_grad off, no detach) so gradients reach G through D
        self.D.requires_grad_(False)
        g_in = self.latent.draw(self)
        with self.autocast():
            batch = self._batch(self.D_frozen, x_real.detach(), self.G_train(*g_in.args), g_in)
            terms = self.game.losses(batch, "G", self.step)
        self._update(self._total(terms), self.opt_g, self.scaler_g)
        self.game.apply_constraints({"G": self.G})
        self.D.requires_grad_(True)
        self.meter.add("G", terms, self.step + 1)

        # EMA
        if self.ema is not None:
            self.ema.update(self.G)
        if self.frozen is not None:
            self.frozen.hold()  # diverged runs of a group stay where they were
        self.step += 1

    def _total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        """What a player minimises: the sum of its loss terms (and, in a group, over the live runs)."""
        total = _total(terms)
        if not self.group:
            return total
        if self.frozen.runs:
            dead = torch.zeros(self.runs, dtype=torch.bool, device=total.device)
            dead[sorted(self.frozen.runs)] = True
            total = torch.where(dead, torch.zeros_like(total), total)
        return total.sum()

    def _simultaneous_step(self) -> None:
        """Both players' gradients at the same parameters, then both steps (the discrete
        simultaneous dynamics of the Dirac-GAN analyses). Single process, fp32."""
        if self.dist.enabled:
            raise GanlabError("train.simultaneous=true runs in one process", "launch without torchrun")
        x_real = self._real()
        g_in = self.latent.draw(self)
        x_fake = self.G(*g_in.args)
        d_terms = self.game.losses(self._batch(self.D, x_real, x_fake.detach(), y_fake=g_in.y), "D", self.d_step)
        g_terms = self.game.losses(self._batch(self.D, x_real.detach(), x_fake, g_in), "G", self.step)
        d_params = [p for p in self.D.parameters() if p.requires_grad]
        g_params = [p for p in self.G.parameters() if p.requires_grad]
        d_grads = torch.autograd.grad(self._total(d_terms), d_params, allow_unused=True)
        g_grads = torch.autograd.grad(self._total(g_terms), g_params, allow_unused=True)
        for p, g in zip(d_params, d_grads):
            p.grad = g
        for p, g in zip(g_params, g_grads):
            p.grad = g
        self.opt_d.step()
        self.opt_g.step()
        self.game.apply_constraints({"D": self.D, "G": self.G})
        self.d_step += 1
        self.meter.add("D", d_terms, self.step + 1)
        self.meter.add("G", g_terms, self.step + 1)
        if self.ema is not None:
            self.ema.update(self.G)
        if self.frozen is not None:
            self.frozen.hold()
        self.step += 1

    def check_finite(self) -> None:
        """Raise a one-line ``DivergenceError`` when a loss term or a weight is NaN/Inf; in a
        group, freeze the runs that diverged instead (``train.divergence``)."""
        check_finite(self)

    def fit(self, steps: int, callbacks: Sequence[Every] = ()) -> bool:
        """Train until ``steps`` G updates are done, calling ``callbacks`` at their cadences;
        returns False when stopped early by a signal (``stop_requested``).

        Every ``train.log_every`` steps (and at the last) the losses and weights are checked
        finite and the loss means since the previous record become ``self.record``.
        """
        cfg = self.cfg
        main = self.dist.is_main
        if self.step == 0:
            for cb in callbacks:
                if cb.at_start and (main or not cb.main_only):
                    cb.fn(self)
        while self.step < steps:
            start = time.process_time()
            self.train_step()
            self.cpu_seconds += time.process_time() - start
            s = self.step
            stop = self.stop_requested
            if self.dist.enabled:
                # ranks receive a signal at slightly different steps: they agree at the logging
                # cadence, so that every rank stops after the same step
                stop = any_rank(self, stop) if s % cfg.log_every == 0 else False
            due = [cb for cb in callbacks if cb.due(s, steps, stop)]
            if s % cfg.log_every == 0 or s == steps:
                self.check_finite()
                self.record = {"step": s, **self.meter.flush()}
            elif any(cb.guarded for cb in due):
                self.check_finite()
            for cb in due:
                if main or not cb.main_only:
                    cb.fn(self)
            if stop:
                return False
        return True

    # --- state ---------------------------------------------------------------------------
    def state_dict(self, run: int | None = None) -> dict:
        """Everything a resume needs; of a group, ``run`` i's part, in a lone run's layout."""
        if self.group:
            if run is None:
                raise ValueError("a group's state is saved one run at a time: pass run=i")
            return run_state(self, run)
        return {
            "step": self.step,
            "d_step": self.d_step,
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            **self.streams.state_dict(),
            "latent": self.latent.state_dict(),
            "rng": capture_rng(),
            "meter": self.meter.state_dict(),
            "scaler_g": self.scaler_g.state_dict(),
            "scaler_d": self.scaler_d.state_dict(),
        }

    def load_state_dict(self, state: dict | list[dict]) -> None:
        """A ``state_dict`` back; a group takes the list of its runs' states."""
        if self.group:
            load_run_states(self, list(state))
            return
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.streams.load_state_dict(state)
        self.latent.load_state_dict(state.get("latent") or {})
        self.meter.load_state_dict(state["meter"], self.device)
        if state.get("scaler_g"):
            self.scaler_g.load_state_dict(state["scaler_g"])
            self.scaler_d.load_state_dict(state["scaler_d"])
        restore_rng(state["rng"])
        self.step = int(state["step"])
        self.d_step = int(state["d_step"])
        if self.dist.rank:  # the checkpoint holds rank 0's streams; keep ranks apart
            torch.manual_seed(self.cfg.seed + RANK_STRIDE * self.dist.rank + self.step)
            self.streams.reseed_penalty(self.cfg.seed + RANK_STRIDE * self.dist.rank + self.step)


def resolve_device(name: str) -> torch.device:
    """train.device (checked when the config is made) as a torch.device; "auto" picks CUDA when present."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _total(terms: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sum of a player's loss terms in fp32 (a chain of adds: cheaper than stack + sum)."""
    values = [v if v.dtype == torch.float32 else v.float() for v in terms.values()]
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total
