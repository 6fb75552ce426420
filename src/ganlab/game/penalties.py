"""Regularisers: loss terms added to one player's loss, and their registry.

All gradient penalties share one helper, ``grad_sq_norm``, which returns ‖∇ₓD(x)‖² per sample
with ``create_graph=True`` so the penalty itself can be differentiated (double backward).
Working with the *squared* norm keeps zero-centred penalties smooth at ∇D = 0, where the
norm itself has no derivative (the Dirac GAN equilibrium sits exactly there).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.registry import Registry

_EPS = 1e-12  # keeps d‖g‖/dg finite at g = 0 for the one-centred penalties


@dataclasses.dataclass(frozen=True)
class Penalty:
    """Base class: a loss term for ``player`` ("D" or "G").

    ``every=k`` makes it lazy: evaluated every k-th step and multiplied by k (Game does it).
    """

    name: ClassVar[str] = "penalty"
    player: ClassVar[str] = "D"
    #: True when the term differentiates D at the real samples (lets the trainer share d_real)
    uses_real_grad: ClassVar[bool] = False

    every: int = 1

    def __call__(self, batch: Batch) -> torch.Tensor:
        raise NotImplementedError


PENALTIES: Registry[type[Penalty]] = Registry("penalty")


def grad_sq_norm(D, x: torch.Tensor, d: torch.Tensor | None = None) -> torch.Tensor:
    """‖∇ₓ D(x)‖² per sample, shape (B,), differentiable (create_graph=True).

    ``d`` may pass an already computed ``D(x)`` (x must then require grad). A D with vector
    output is differentiated through the sum of its outputs.
    """
    if d is None:
        if not x.requires_grad:
            x = x.detach().requires_grad_(True)
        d = D(x)
    (grad,) = torch.autograd.grad(d.sum(), x, create_graph=True)
    return grad.reshape(grad.shape[0], -1).pow(2).sum(dim=1)


def interpolates(x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
    """x̂ = x_r + α (x_f − x_r), α ~ U[0, 1] per sample (Gulrajani et al. 2017)."""
    alpha = torch.rand((x_real.shape[0],) + (1,) * (x_real.dim() - 1), dtype=x_real.dtype, device=x_real.device)
    return (x_real + alpha * (x_fake - x_real)).detach().requires_grad_(True)


def real_with_grad(batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
    """x_r prepared for differentiation, with the cached d_real when it can be reused."""
    if batch.x_real.requires_grad:
        return batch.x_real, batch.d_real
    return batch.x_real.detach().requires_grad_(True), None


@PENALTIES.register("gp")
@dataclasses.dataclass(frozen=True)
class GradientPenalty(Penalty):
    """λ E_x̂ (‖∇D(x̂)‖ − c)² on real–fake interpolates x̂ (WGAN-GP, Gulrajani et al. 2017).

    ``center=1`` is WGAN-GP; ``center=0`` is the zero-centred variant (Thanh-Tung et al. 2019,
    "wgangp0" in Mescheder et al. 2018), which makes the Dirac GAN converge.
    """

    lam: float = 10.0  # Gulrajani et al. 2017, §4
    center: float = 1.0

    def __call__(self, batch: Batch) -> torch.Tensor:
        sq = grad_sq_norm(batch.D, interpolates(batch.x_real, batch.x_fake))
        if self.center == 0:
            return self.lam * sq.mean()  # λ E ‖∇D‖²
        return self.lam * ((sq + _EPS).sqrt() - self.center).pow(2).mean()  # λ E (‖∇D‖ − c)²


@PENALTIES.register("r1")
@dataclasses.dataclass(frozen=True)
class R1(Penalty):
    """(γ/2) E_{x~p_data} ‖∇D(x)‖² at the real samples (Mescheder et al. 2018, eq. 9).

    Convention: the ½ is included, as in the paper. The GAN_stability code computes
    reg_param · E‖∇D‖² without ½, so its ``reg_param: 10`` equals ``gamma: 20`` here.
    """

    uses_real_grad: ClassVar[bool] = True
    gamma: float = 10.0  # Mescheder et al. 2018, configs/default.yaml (reg_param 10)

    def __call__(self, batch: Batch) -> torch.Tensor:
        x, d = real_with_grad(batch)
        return 0.5 * self.gamma * grad_sq_norm(batch.D, x, d).mean()  # γ/2 E‖∇D(x_r)‖²


@PENALTIES.register("r2")
@dataclasses.dataclass(frozen=True)
class R2(Penalty):
    """(γ/2) E_{x~p_G} ‖∇D(x)‖² at the fake samples (Mescheder et al. 2018, eq. 10)."""

    gamma: float = 10.0

    def __call__(self, batch: Batch) -> torch.Tensor:
        return 0.5 * self.gamma * grad_sq_norm(batch.D, batch.x_fake).mean()  # γ/2 E‖∇D(x_f)‖²


@PENALTIES.register("wgan_div")
@dataclasses.dataclass(frozen=True)
class WGANDiv(Penalty):
    """k E ‖∇D(x̂)‖^p (WGAN-div, Wu et al. 2018; k=2, p=6).

    ``sample="interpolate"``: x̂ on real–fake interpolates (official code, musikisomorphie/wgan-div).
    ``sample="real_fake"``: (k/2) E[‖∇D(x_r)‖^p + ‖∇D(x_f)‖^p] (the widely copied PyTorch form).
    """

    k: float = 2.0  # Wu et al. 2018, §4: k=2, p=6 work best
    p: float = 6.0
    sample: str = "interpolate"

    def __post_init__(self) -> None:
        if self.sample not in ("interpolate", "real_fake"):
            raise ValueError(f"wgan_div sample must be 'interpolate' or 'real_fake', got {self.sample!r}")

    def __call__(self, batch: Batch) -> torch.Tensor:
        half_p = self.p / 2
        if self.sample == "interpolate":
            return self.k * grad_sq_norm(batch.D, interpolates(batch.x_real, batch.x_fake)).pow(half_p).mean()
        x, d = real_with_grad(batch)
        real = grad_sq_norm(batch.D, x, d).pow(half_p).mean()
        fake = grad_sq_norm(batch.D, batch.x_fake).pow(half_p).mean()
        return 0.5 * self.k * (real + fake)  # k/2 (E‖∇D(x_r)‖^p + E‖∇D(x_f)‖^p)


@PENALTIES.register("l2")
@dataclasses.dataclass(frozen=True)
class L2(Penalty):
    """λ Σ ‖w‖² over D's parameters: weight decay on D as a loss term.

    In the Dirac GAN it turns GAN-QP's orbit into convergence (seed 004).
    """

    lam: float = 1e-3

    def __call__(self, batch: Batch) -> torch.Tensor:
        params = [p for p in batch.D.parameters() if p.requires_grad]
        if not params:
            return batch.x_real.new_zeros(())
        return self.lam * torch.stack([p.pow(2).sum() for p in params]).sum()  # λ Σ‖w‖²
