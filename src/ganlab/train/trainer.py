"""The training loop: D steps, G step, EMA, maintenance — one flat loop that reads top to bottom.

The Trainer owns optimisers, EMA, RNG streams and devices; the maths comes from a ``Game``.
It accepts any ``nn.Module`` G (with a ``z_dim`` attribute) and D. Files are not its business:
a ``hooks`` object (see ``ganlab.train.run``) does logging, samples and checkpoints.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterable
from typing import Protocol

import numpy as np
import torch
from torch import nn

from ganlab.config import TrainConfig
from ganlab.errors import GanlabError
from ganlab.game import Batch, Game
from ganlab.train.distributed import DistInfo
from ganlab.train.ema import EMA
from ganlab.train.loader import BatchStream
from ganlab.train.log import TermMeter

OPTIMIZERS = ("adam", "rmsprop", "sgd")
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def make_optimizer(
    name: str, params: Iterable[nn.Parameter], lr: float, betas: tuple[float, float], fused: bool = False
) -> torch.optim.Optimizer:
    """Adam (β as given), RMSProp (WGAN), or plain SGD (the Dirac-GAN analyses).

    ``fused`` selects the single-kernel Adam on GPUs (one launch for all parameters).
    """
    params = list(params)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise GanlabError(f'unknown optimizer "{name}"', f"choose one of: {', '.join(OPTIMIZERS)}")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GanlabError(f"train.device={name} but no CUDA GPU is available", "use train.device=cpu or auto")
    try:
        return torch.device(name)
    except RuntimeError:
        raise GanlabError(f'unknown device "{name}"', "use cpu, cuda, cuda:N or auto") from None


class Hooks(Protocol):
    def log(self, trainer: Trainer, record: dict[str, float]) -> None: ...
    def sample(self, trainer: Trainer) -> None: ...
    def checkpoint(self, trainer: Trainer) -> None: ...


class Trainer:
    """Alternating (n_critic D steps, then one G step) or simultaneous GAN training."""

    def __init__(
        self, G: nn.Module, D: nn.Module, game: Game, data: torch.Tensor, cfg: TrainConfig, dist: DistInfo | None = None
    ) -> None:
        if cfg.simultaneous and cfg.n_critic != 1:
            raise GanlabError("train.simultaneous=true needs train.n_critic=1", "set train.n_critic=1 or train.simultaneous=false")
        for key in ("steps", "batch_size", "n_critic"):
            if getattr(cfg, key) < 1:
                raise GanlabError(f"train.{key} must be at least 1, got {getattr(cfg, key)}")
        for key in ("lr_d", "lr_g"):
            if not getattr(cfg, key) > 0:
                raise GanlabError(f"train.{key} must be positive, got {getattr(cfg, key)}")
        if cfg.precision not in PRECISIONS:
            raise GanlabError(f'unknown train.precision "{cfg.precision}"', f"choose one of: {', '.join(PRECISIONS)}")
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
        # Seeds first: the global stream drives everything not given its own generator
        # (interpolation coefficients of penalties, dropout); it differs per rank so that
        # ranks do not draw the same interpolates for different samples.
        torch.manual_seed(cfg.seed + 1_000_003 * self.dist.rank)
        np.random.seed(cfg.seed)
        random.seed(cfg.seed)
        self.G = G.to(self.device)
        self.D = D.to(self.device)
        if cfg.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        fused = self.device.type == "cuda" and cfg.precision != "fp16"
        self.opt_g = make_optimizer(cfg.optimizer_g, self.G.parameters(), cfg.lr_g, cfg.betas_g, fused)
        self.opt_d = make_optimizer(cfg.optimizer_d, self.D.parameters(), cfg.lr_d, cfg.betas_d, fused)
        try:
            self.ema = EMA(self.G, cfg.ema) if cfg.ema is not None else None
        except ValueError as err:
            raise GanlabError(f"invalid train.ema: {err}", "use a decay such as 0.999, or null for no EMA") from None
        try:
            self.stream = BatchStream(data.to(self.device), cfg.batch_size, cfg.seed)
        except ValueError as err:
            raise GanlabError(f"invalid train.batch_size: {err}", "lower train.batch_size") from None
        self.noise = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        # What the steps call: DDP wrappers (one per network) when distributed, compiled
        # modules when asked. The raw modules stay in self.G / self.D for state and sampling.
        self.G_train, self.D_train = self._wrap(self.G, "G"), self._wrap(self.D, "D")
        self.D_frozen = self._compiled(self.D, "D")  # D inside the G step: no DDP hooks, no grads
        dtype = PRECISIONS[cfg.precision]
        self.autocast = (
            (lambda: torch.autocast(self.device.type, dtype=dtype)) if dtype is not None else contextlib.nullcontext
        )
        # fp16 needs loss scaling, one scaler per network since their losses differ in scale
        scaling = cfg.precision == "fp16"
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=scaling)
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=scaling)
        self.step = 0  # G updates done
        self.d_step = 0  # D updates done
        self.meter = TermMeter()
        self.stop_requested = False

    def _compiled(self, net: nn.Module, who: str) -> nn.Module:
        # torch.compile cannot trace the double backward of gradient penalties: D stays eager
        # whenever a D penalty differentiates through it.
        if not self.cfg.compile or (who == "D" and any(p.player == "D" for p in self.game.penalties)):
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
        """Latent vectors: this rank's slice of a global batch (or ``n`` vectors when given)."""
        if n is not None:
            return torch.randn(n, self.G.z_dim, generator=self.noise, device=self.device)
        return self._mine(torch.randn(self.cfg.batch_size, self.G.z_dim, generator=self.noise, device=self.device))

    def _real(self) -> torch.Tensor:
        x = self._mine(self.stream.next())
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
            with torch.no_grad(), self.autocast():
                x_fake = self.G_train(self.sample_z())
            with self.autocast():
                terms = self.game.losses(Batch(self.D_train, x_real, x_fake), "D", self.d_step)
            self._update(_total(terms), self.opt_d, self.scaler_d)
            self.game.apply_constraints({"D": self.D})
            self.d_step += 1
        self.meter.add("D", terms, self.step + 1)

        # G step: D is frozen (requires_grad off, no detach) so gradients reach G through D
        self.D.requires_grad_(False)
        z = self.sample_z()
        with self.autocast():
            batch = Batch(self.D_frozen, x_real.detach(), self.G_train(z), G=self.G_train, z=z)
            terms = self.game.losses(batch, "G", self.step)
        self._update(_total(terms), self.opt_g, self.scaler_g)
        self.game.apply_constraints({"G": self.G})
        self.D.requires_grad_(True)
        self.meter.add("G", terms, self.step + 1)

        # EMA
        if self.ema is not None:
            self.ema.update(self.G)
        self.step += 1

    def _simultaneous_step(self) -> None:
        """Both players' gradients at the same parameters, then both steps (the discrete
        simultaneous dynamics of the Dirac-GAN analyses). Single process, fp32."""
        if self.dist.enabled or self.cfg.precision != "fp32":
            raise GanlabError("train.simultaneous=true runs in one process with train.precision=fp32", "drop one of the settings")
        x_real = self._real()
        z = self.sample_z()
        x_fake = self.G(z)
        d_terms = self.game.losses(Batch(self.D, x_real, x_fake.detach()), "D", self.d_step)
        g_terms = self.game.losses(Batch(self.D, x_real.detach(), x_fake, G=self.G, z=z), "G", self.step)
        d_params = [p for p in self.D.parameters() if p.requires_grad]
        g_params = [p for p in self.G.parameters() if p.requires_grad]
        d_grads = torch.autograd.grad(_total(d_terms), d_params, allow_unused=True)
        g_grads = torch.autograd.grad(_total(g_terms), g_params, allow_unused=True)
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
        self.step += 1

    def check_finite(self) -> None:
        """Raise a one-line GanlabError when a loss term or a weight is NaN/Inf (on every rank
        when distributed: a rank that stopped alone would leave the others waiting forever)."""
        bad = self.meter.divergence()
        if bad is None:
            for who, net in (("G", self.G), ("D", self.D)):
                name = next((n for n, p in net.named_parameters() if not torch.isfinite(p).all()), None)
                if name is not None:
                    bad = (f"{who} weight {name}", self.step)
                    break
        if self.dist.enabled and self._any_rank(bad is not None) and bad is None:
            bad = ("a loss term on another process", self.step)
        if bad is not None:
            raise DivergenceError(*bad)

    def _any_rank(self, flag: bool) -> bool:
        import torch.distributed as dist

        t = torch.tensor([1.0 if flag else 0.0], device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def fit(self, steps: int, hooks: Hooks) -> bool:
        """Train until ``steps`` G updates are done; returns False when stopped early by a signal."""
        cfg = self.cfg
        main = self.dist.is_main  # rank 0 alone writes logs, samples and checkpoints
        while self.step < steps:
            self.train_step()
            s = self.step
            stop = self.stop_requested
            if self.dist.enabled:
                # ranks receive a signal at slightly different steps: they agree at the logging
                # cadence, so that every rank stops after the same step
                stop = self._any_rank(stop) if s % cfg.log_every == 0 else False
            # maintenance, at explicit cadences
            if s % cfg.log_every == 0 or s == steps:
                self.check_finite()
                record = {"step": s, **self.meter.flush()}
                if main:
                    hooks.log(self, record)
            if cfg.sample_every and s % cfg.sample_every == 0 and main:
                hooks.sample(self)
            if (cfg.checkpoint_every and s % cfg.checkpoint_every == 0) or s == steps or stop:
                self.check_finite()
                if main:
                    hooks.checkpoint(self)
            if stop:
                return False
        return True

    # --- state ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        rng = {
            "torch": torch.get_rng_state(),
            "numpy": _numpy_state(),
            "python": _python_state(),
        }
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "step": self.step,
            "d_step": self.d_step,
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "stream": self.stream.state_dict(),
            "noise": self.noise.get_state(),
            "rng": rng,
            "meter": self.meter.state_dict(),
            "scaler_g": self.scaler_g.state_dict(),
            "scaler_d": self.scaler_d.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.stream.load_state_dict(state["stream"])
        self.noise.set_state(state["noise"])
        self.meter.load_state_dict(state["meter"], self.device)
        if state.get("scaler_g"):
            self.scaler_g.load_state_dict(state["scaler_g"])
            self.scaler_d.load_state_dict(state["scaler_d"])
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        _set_numpy_state(rng["numpy"])
        _set_python_state(rng["python"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        self.step = int(state["step"])
        self.d_step = int(state["d_step"])
        if self.dist.rank:  # the checkpoint holds rank 0's global stream; keep ranks apart
            torch.manual_seed(self.cfg.seed + 1_000_003 * self.dist.rank + self.step)


def _total(terms: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sum of a player's loss terms in fp32 (a chain of adds: cheaper than stack + sum)."""
    values = [v if v.dtype == torch.float32 else v.float() for v in terms.values()]
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


class DivergenceError(GanlabError):
    """A loss term or a weight became NaN or Inf."""

    def __init__(self, term: str, step: int) -> None:
        self.term, self.step = term, step
        super().__init__(
            f"training diverged: {term} is NaN or Inf at step {step}",
            "the last good checkpoint is untouched; lower train.lr_d / train.lr_g or add a penalty and resume with --resume RUN --force, "
            "or set train.on_divergence=rollback to do that automatically",
        )


# RNG states as plain containers, so checkpoints load with weights_only=True
def _numpy_state() -> dict:
    name, key, pos, has_gauss, cached = np.random.get_state()
    key_t = torch.from_numpy(key.astype(np.int64))
    return {"name": name, "key": key_t, "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)}


def _set_numpy_state(s: dict) -> None:
    np.random.set_state((s["name"], s["key"].numpy().astype(np.uint32), s["pos"], s["has_gauss"], s["cached"]))


def _python_state() -> dict:
    version, internal, gauss = random.getstate()
    return {"version": version, "internal": torch.tensor(internal, dtype=torch.int64), "gauss": gauss}


def _set_python_state(s: dict) -> None:
    random.setstate((s["version"], tuple(int(v) for v in s["internal"].tolist()), s["gauss"]))
