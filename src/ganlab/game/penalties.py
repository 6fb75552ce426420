"""Regularisers: loss terms added to one player's loss, and their registry.

All gradient penalties share one helper, ``grad_sq_norm``, which returns ‖∇ₓD(x)‖² per sample
with ``create_graph=True`` so the penalty itself can be differentiated (double backward).
Working with the *squared* norm keeps zero-centred penalties smooth at ∇D = 0, where the
norm itself has no derivative (the Dirac GAN equilibrium sits exactly there).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import torch

from ganlab.game.batch import Batch
from ganlab.registry import Registry
from ganlab.typed import field

_EPS = 1e-12  # keeps d‖g‖/dg finite at g = 0 for the one-centred penalties


@dataclasses.dataclass(frozen=True)
class Penalty(abc.ABC):
    """Base class: a loss term for ``player`` ("D" or "G").

    ``every=k`` makes it lazy: evaluated every k-th step and multiplied by k (Game does it).
    """

    name: ClassVar[str] = "penalty"
    player: ClassVar[str] = "D"  # "D", "G", or "both" (a term of each player's loss: ``term``)
    #: True when the term differentiates D at the real samples (lets the trainer share d_real)
    uses_real_grad: ClassVar[bool] = False
    #: outputs it reads from D's auxiliary head (``Batch.aux``): AC-GAN's classes, InfoGAN's codes
    aux_outputs: ClassVar[int] = 0

    every: int = field(1, low=1)  # lazy regularisation interval (Karras et al. 2020: 16 for R1)

    @abc.abstractmethod
    def __call__(self, batch: Batch) -> torch.Tensor:
        """The penalty's value on ``batch`` (a scalar added to its player's loss)."""

    def acts_on(self, player: str) -> bool:
        return self.player in (player, "both")

    def term(self, batch: Batch, player: str) -> torch.Tensor:
        """The loss term of ``player`` (a one-player penalty: ``self(batch)``)."""
        return self(batch)


PENALTIES: Registry[type[Penalty]] = Registry("penalty")


def grad_sq_norm(D, x: torch.Tensor, d: torch.Tensor | None = None, lead: int = 1) -> torch.Tensor:
    """‖∇ₓ D(x)‖² per sample, shape (B,) — (N, B) for a group's (N, B, …) x with ``lead=2`` —
    differentiable (create_graph=True).

    ``d`` may pass an already computed ``D(x)`` (x must then require grad). A D with vector
    output is differentiated through the sum of its outputs. In a group the sum also runs over
    the runs: they do not interact, so its gradient is every run's own.
    """
    if d is None:
        if not x.requires_grad:
            x = x.detach().requires_grad_(True)
        d = D(x)
    (grad,) = torch.autograd.grad(d.sum(), x, create_graph=True)
    return grad.reshape(*grad.shape[:lead], -1).pow(2).sum(dim=-1)


def interpolates(x_real: torch.Tensor, x_fake: torch.Tensor, alpha: torch.Tensor | None = None) -> torch.Tensor:
    """x̂ = x_r + α (x_f − x_r), α ~ U[0, 1] per sample (Gulrajani et al. 2017); ``alpha`` as
    drawn by ``Batch.uniform`` (default: from torch's global stream)."""
    if alpha is None:
        alpha = torch.rand((x_real.shape[0],) + (1,) * (x_real.dim() - 1), dtype=x_real.dtype, device=x_real.device)
    return (x_real + alpha * (x_fake - x_real)).detach().requires_grad_(True)


def batch_interpolates(batch: Batch) -> torch.Tensor:
    """Interpolates of the batch's reals and fakes, α from the batch's stream(s)."""
    return interpolates(batch.x_real, batch.x_fake, batch.uniform(batch.x_real))


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

    lam: float = field(10.0, low=0)  # Gulrajani et al. 2017, §4
    center: float = field(1.0, low=0)

    def __call__(self, batch: Batch) -> torch.Tensor:
        sq = grad_sq_norm(batch.critic("real"), batch_interpolates(batch), lead=batch.lead)
        if self.center == 0:
            return self.lam * batch.mean(sq)  # λ E ‖∇D‖²
        return self.lam * batch.mean(((sq + _EPS).sqrt() - self.center).pow(2))  # λ E (‖∇D‖ − c)²


@PENALTIES.register("r1")
@dataclasses.dataclass(frozen=True)
class R1(Penalty):
    """(γ/2) E_{x~p_data} ‖∇D(x)‖² at the real samples (Mescheder et al. 2018, eq. 9).

    Convention: the ½ is included, as in the paper. The GAN_stability code computes
    reg_param · E‖∇D‖² without ½, so its ``reg_param: 10`` equals ``gamma: 20`` here.
    """

    uses_real_grad: ClassVar[bool] = True
    gamma: float = field(10.0, low=0)  # Mescheder et al. 2018, configs/default.yaml (reg_param 10)

    def __call__(self, batch: Batch) -> torch.Tensor:
        x, d = real_with_grad(batch)
        return 0.5 * self.gamma * batch.mean(grad_sq_norm(batch.critic("real"), x, d, lead=batch.lead))  # γ/2 E‖∇D(x_r)‖²


@PENALTIES.register("r2")
@dataclasses.dataclass(frozen=True)
class R2(Penalty):
    """(γ/2) E_{x~p_G} ‖∇D(x)‖² at the fake samples (Mescheder et al. 2018, eq. 10)."""

    gamma: float = field(10.0, low=0)

    def __call__(self, batch: Batch) -> torch.Tensor:
        return 0.5 * self.gamma * batch.mean(grad_sq_norm(batch.critic("fake"), batch.x_fake, lead=batch.lead))  # γ/2 E‖∇D(x_f)‖²


@PENALTIES.register("wgan_div")
@dataclasses.dataclass(frozen=True)
class WGANDiv(Penalty):
    """k E ‖∇D(x̂)‖^p (WGAN-div, Wu et al. 2018; k=2, p=6).

    ``sample="interpolate"``: x̂ on real–fake interpolates (official code, musikisomorphie/wgan-div).
    ``sample="real_fake"``: (k/2) E[‖∇D(x_r)‖^p + ‖∇D(x_f)‖^p] (the widely copied PyTorch form).
    """

    k: float = field(2.0, low=0)  # Wu et al. 2018, §4: k=2, p=6 work best
    p: float = field(6.0, low=1, low_open=True)  # p > 1 (a divergence only then)
    sample: str = field("interpolate", choices=("interpolate", "real_fake"))

    def __call__(self, batch: Batch) -> torch.Tensor:
        half_p = self.p / 2
        if self.sample == "interpolate":
            return self.k * batch.mean(grad_sq_norm(batch.critic("real"), batch_interpolates(batch), lead=batch.lead).pow(half_p))
        x, d = real_with_grad(batch)
        real = batch.mean(grad_sq_norm(batch.critic("real"), x, d, lead=batch.lead).pow(half_p))
        fake = batch.mean(grad_sq_norm(batch.critic("fake"), batch.x_fake, lead=batch.lead).pow(half_p))
        return 0.5 * self.k * (real + fake)  # k/2 (E‖∇D(x_r)‖^p + E‖∇D(x_f)‖^p)


@PENALTIES.register("l2")
@dataclasses.dataclass(frozen=True)
class L2(Penalty):
    """λ Σ ‖w‖² over D's parameters: weight decay on D as a loss term.

    In the Dirac GAN it turns GAN-QP's orbit into convergence (seed 004).
    """

    lam: float = field(1e-3, low=0)

    def __call__(self, batch: Batch) -> torch.Tensor:
        params = [p for p in batch.D.parameters() if p.requires_grad]
        if not params:
            return batch.x_real.new_zeros((batch.runs,) if batch.runs else ())
        if batch.runs:  # stacked parameters: one sum per run
            return self.lam * torch.stack([p.pow(2).reshape(batch.runs, -1).sum(1) for p in params]).sum(0)
        return self.lam * torch.stack([p.pow(2).sum() for p in params]).sum()  # λ Σ‖w‖²


@PENALTIES.register("lp")
@dataclasses.dataclass(frozen=True)
class LipschitzPenalty(Penalty):
    """λ E_x̂ max(0, ‖∇D(x̂)‖ − 1)² on real–fake interpolates x̂ (WGAN-LP, Petzka, Fischer &
    Lukovnicov, "On the regularization of Wasserstein GANs", ICLR 2018, eq. 8).

    One-sided: only gradients steeper than 1 are penalised, so the Lipschitz constraint is
    enforced without pushing ‖∇D‖ up to 1 everywhere (which GP does). λ = 10 as for GP (the
    paper reports LP to be less sensitive to λ). Sampling on interpolates as in WGAN-GP.
    """

    lam: float = field(10.0, low=0)

    def __call__(self, batch: Batch) -> torch.Tensor:
        sq = grad_sq_norm(batch.critic("real"), batch_interpolates(batch), lead=batch.lead)
        return self.lam * batch.mean(torch.relu((sq + _EPS).sqrt() - 1).pow(2))  # λ E max(0, ‖∇D‖ − 1)²


@PENALTIES.register("ct")
@dataclasses.dataclass(frozen=True)
class ConsistencyTerm(Penalty):
    """Consistency term λ E_x max(0, ‖D(x)′ − D(x)″‖₂ − M′) at the real samples (WGAN-CT, Wei,
    Gong, Liu, Lu & Wang, "Improving the Improved Training of Wasserstein GANs", ICLR 2018).

    D(x)′ and D(x)″ are two forward passes of a D *with dropout* in training mode: two random
    sub-networks near x. Our formulation: the paper's CT|x′,x″ = max(0, d(D(x′), D(x″)) /
    d(x′, x″) + 0.1 d(D_(x′), D_(x″)) − M′) treats d(x′, x″) as a constant folded into M′
    (as the paper does in practice) and leaves out the 0.1-weighted second-to-last-layer term,
    which needs D's internal features. λ = 2, M′ = 0 (the paper's CIFAR-10 settings).
    Without dropout in D the two passes agree and the term is 0. The norm is taken safely
    (finite gradient where the passes agree).
    """

    lam: float = field(2.0, low=0)
    margin: float = field(0.0, low=0)  # M′

    def __call__(self, batch: Batch) -> torch.Tensor:
        score = batch.critic("real")
        d1 = score(batch.x_real)  # D(x)′: one dropout mask
        d2 = score(batch.x_real)  # D(x)″: an independent one
        diff = (d1 - d2).reshape(*d1.shape[: batch.lead], -1)
        dist = diff.pow(2).sum(dim=-1).clamp_min(1e-24).sqrt()  # ‖D′ − D″‖₂, 0-subgradient at 0
        return self.lam * batch.mean(torch.relu(dist - self.margin))


def _jvp_and_vjp(y: torch.Tensor, z: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Jᵀ(J v) per sample for y = G(z), J = ∂y/∂z, differentiable (create_graph=True).

    J v is obtained by the double-vjp trick: g(u) = Jᵀu is linear in a dummy u, so
    ∂(g·v)/∂u = J v. This shares the single forward pass y = G(z) among all directions and
    needs only reverse mode, which every module supports.
    """
    u = torch.zeros_like(y, requires_grad=True)
    (jt_u,) = torch.autograd.grad(y, z, u, create_graph=True)  # Jᵀu
    (jv,) = torch.autograd.grad(jt_u, u, v, create_graph=True)  # J v
    (jt_jv,) = torch.autograd.grad(y, z, jv, create_graph=True)  # Jᵀ J v
    return jt_jv


def _jvps(y: torch.Tensor, z: torch.Tensor, directions: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """[J v for v in directions] for y = G(z), J = ∂y/∂z, differentiable: the double-vjp trick of
    ``_jvp_and_vjp`` with the linear map u ↦ Jᵀu built once and shared by every direction (the
    exact penalty needs J's k columns: k + 1 passes instead of 3k)."""
    u = torch.zeros_like(y, requires_grad=True)
    (jt_u,) = torch.autograd.grad(y, z, u, create_graph=True)  # Jᵀu
    return [torch.autograd.grad(jt_u, u, v, create_graph=True, retain_graph=True)[0] for v in directions]


@PENALTIES.register("orthonormal_tangent")
@dataclasses.dataclass(frozen=True)
class OrthonormalTangent(Penalty):
    """weight · E_z ‖JᵀJ − γI‖²_F with J = ∂G(z)/∂z, the tangents of G at batch.z (player G).

    Seed 000 §4 / MISSION §2: keeps the tangent vectors of the generated manifold orthonormal,
    so they cannot lose rank (mode collapse as dimension deficiency). Localized GAN (Qi et al.
    2018) uses the L1 norm of Gram(J) − γI with weight β = 0.01; we use the squared Frobenius
    norm of MISSION §2 and γ = ``gamma`` = 1.

    With A = JᵀJ − γI (symmetric, z_dim × z_dim): ``mode="exact"`` builds J from its z_dim
    columns J e_k (Jacobian-vector products sharing one Jᵀu) and sums (JᵀJ − γI)²; this is
    Σ_k ‖A e_k‖² = E_v ‖A v‖² for any random v with E[vvᵀ] = I (``mode="estimate"``,
    Hutchinson-style, unbiased, ``probes`` Rademacher vectors per sample), where A v = Jᵀ(Jv) − γv
    costs one Jacobian-vector and one vector-Jacobian product. ``mode="auto"`` is exact for
    z_dim ≤ ``threshold``. G is called as G(z); batch.z is used as is when it requires grad
    (so the term can be differentiated in z), else as a fresh leaf; ``at="origin"`` takes J at
    z = 0 instead (the chart origin of a Localized GAN, whose ``batch.G`` is z ↦ G(x, z)).

    With batch-coupled layers in training mode (BatchNorm), J includes the O(1/B) coupling of
    each output to the other samples through the batch statistics.
    """

    player: ClassVar[str] = "G"
    weight: float = field(1.0, low=0)
    gamma: float = field(1.0, low=0)
    mode: str = field("auto", choices=("auto", "exact", "estimate"))
    threshold: int = field(16, low=0)
    probes: int = field(1, low=1)
    at: str = field("z", choices=("z", "origin"))  # J at batch.z, or at z = 0 (a Localized GAN's chart origin)

    def __call__(self, batch: Batch) -> torch.Tensor:
        if batch.G is None or batch.z is None:
            raise ValueError("orthonormal_tangent needs batch.G and batch.z (the generator and its latent batch)")
        if self.at == "origin":
            z = torch.zeros_like(batch.z).requires_grad_(True)
        else:
            z = batch.z if batch.z.requires_grad else batch.z.detach().requires_grad_(True)
        y = batch.G(z)
        lead = batch.lead
        sample = z.shape[lead:]  # one latent vector (k,)
        k = sample.numel()
        exact = self.mode == "exact" or (self.mode == "auto" and k <= self.threshold)
        if exact:
            basis = torch.eye(k, dtype=z.dtype, device=z.device).reshape(k, *sample)
            directions = [basis[i].expand_as(z) for i in range(k)]  # e_i for every sample
            scale = 1.0
        else:
            directions = [batch.rademacher(z) for _ in range(self.probes)]  # Rademacher v: E[vvᵀ] = I
            scale = 1.0 / self.probes
        if exact:  # ‖JᵀJ − γI‖²_F from the k columns J e_i: one shared Jᵀu and k Jacobian-vector products
            cols = [c.reshape(*z.shape[:lead], -1) for c in _jvps(y, z, directions)]
            J = torch.stack(cols, dim=-1)  # (…, output size, k)
            eye = torch.eye(k, dtype=J.dtype, device=J.device)
            total = (J.transpose(-1, -2) @ J - self.gamma * eye).pow(2).sum(dim=(-1, -2))
            return self.weight * batch.mean(total)
        total = z.new_zeros(z.shape[:lead])
        for v in directions:
            av = _jvp_and_vjp(y, z, v) - self.gamma * v  # (JᵀJ − γI) v
            total = total + av.reshape(*z.shape[:lead], -1).pow(2).sum(dim=-1)
        return self.weight * scale * batch.mean(total)  # weight · E_z ‖JᵀJ − γI‖²_F
