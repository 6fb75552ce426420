"""Tangents of a generator and their rank: mode collapse as dimension deficiency (seed 000 §4).

J(z) = ∂G(z)/∂z is the (out_numel × z_dim) matrix whose columns are the tangent vectors of
the generated manifold at G(z). Where G collapses locally, moving z no longer moves G(z) in
some direction: a column vanishes or becomes a combination of the others, and J loses rank.
We report, per sample, the singular values σ₁ ≥ … ≥ σ_r of J (r = min(out_numel, z_dim)) and

- the entropy effective rank (Roy & Vetterli 2007): p_i = σ_i / Σ_j σ_j, erank = exp(−Σ p_i log p_i),
  a continuous value in [1, r] that is r only for equal singular values;
- the thresholded rank: #{i : σ_i > tol · σ₁}, the numerical rank at relative tolerance ``tol``.

Both are scale-free; the absolute scale (σ₁, σ_r) is reported alongside, because a generator
that shrinks every direction equally (a point mass) keeps its relative rank.

J is computed in eval mode (BatchNorm on running statistics): in training mode each output
would also depend on the other samples of the batch, and J would not be a property of G(z).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.nets.modes import frozen_eval  # eval mode, no parameter gradients: J is taken w.r.t. z only

ERANK_EPS = 1e-12  # keeps log p finite for exactly zero singular values (0 · log 0 = 0)
DEFAULT_TOL = 1e-2  # relative tolerance of the thresholded rank: directions 100× weaker than the strongest count as lost


def forward_jacobian(fn: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """J = ∂fn(z)/∂z per sample, (B, out_numel, k) for z (B, k), differentiable w.r.t. whatever
    ``fn`` closes over (its parameters), so a loss on J can be trained (Localized GAN).

    ``fn`` must treat the samples of a batch independently (no batch statistics: eval mode or
    no BatchNorm). Column i of every J_b is then the jvp of the whole batch along e_i: one
    batched forward-mode pass per latent direction, vmapped over the k directions, replaces
    jacfwd of each sample alone (about 10× faster for the DCGAN on CPU).
    """
    b, k = z.shape
    basis = torch.eye(k, dtype=z.dtype, device=z.device)[:, None, :].expand(k, b, k)  # e_i for every sample

    def column(v: torch.Tensor) -> torch.Tensor:
        return torch.func.jvp(fn, (z,), (v,))[1].reshape(b, -1)  # J v, (B, out_numel)

    return torch.func.vmap(column)(basis).permute(1, 2, 0)  # (B, out_numel, k)


def _reverse_jacobian(G: nn.Module, z: torch.Tensor) -> torch.Tensor:
    # in eval mode the samples are independent, so ∂(Σ_b y_b,d)/∂z_b = ∂y_b,d/∂z_b: one backward
    # pass per output coordinate serves the whole batch, and only reverse mode is needed
    z = z.detach().requires_grad_(True)
    with torch.enable_grad():
        y = G(z).reshape(len(z), -1)
        rows = [torch.autograd.grad(y[:, d].sum(), z, retain_graph=d + 1 < y.shape[1])[0] for d in range(y.shape[1])]
    return torch.stack(rows, dim=1)  # (B, out_numel, z_dim)


def jacobian(G: nn.Module, z: torch.Tensor, *, mode: str = "auto", chunk: int = 256) -> torch.Tensor:
    """J = ∂G(z)/∂z per sample, shape (B, out_numel, z_dim), with G in eval mode.

    ``mode``: "forward" (torch.func.jvp vmapped over the z_dim directions: cheap when
    z_dim ≪ out_numel, as for generators), "reverse" (one backward pass per output
    coordinate) or "auto" (forward, falling back to reverse for modules without forward-AD
    or vmap support). Computed in chunks of ``chunk`` samples to bound memory.
    """
    if mode not in ("auto", "forward", "reverse"):
        raise GanlabError(f"jacobian mode must be auto, forward or reverse, got {mode!r}", "pass mode='auto'")
    if z.dim() != 2:
        raise GanlabError(f"z must be a (batch, z_dim) tensor, got shape {tuple(z.shape)}", "pass one latent vector per row")
    out = []
    with frozen_eval(G):
        for i in range(0, len(z), chunk):
            zc = z[i : i + chunk].detach()
            if mode == "reverse":
                out.append(_reverse_jacobian(G, zc))
                continue
            try:
                out.append(forward_jacobian(G, zc).detach())
            except (RuntimeError, NotImplementedError):
                if mode == "forward":
                    raise
                mode = "reverse"  # the module lacks forward-AD or vmap rules; later chunks go straight there
                out.append(_reverse_jacobian(G, zc))
    return torch.cat(out) if out else torch.empty(0, 0, z.shape[1])


def singular_values(J: torch.Tensor) -> torch.Tensor:
    """σ₁ ≥ … ≥ σ_r of each J (B, m, k) → (B, min(m, k)), in float64 (small σ keep their digits)."""
    return torch.linalg.svdvals(J.double())


def effective_rank(s: torch.Tensor) -> torch.Tensor:
    """Entropy effective rank exp(−Σ pᵢ log pᵢ), pᵢ = σᵢ/Σσⱼ (Roy & Vetterli 2007), per row; 0 for J = 0."""
    total = s.sum(-1, keepdim=True)
    p = s / total.clamp_min(ERANK_EPS)
    h = -(p * (p + ERANK_EPS).log()).sum(-1)  # entropy of the normalised spectrum
    return torch.where(total.squeeze(-1) > 0, h.exp(), torch.zeros_like(h))


def threshold_rank(s: torch.Tensor, tol: float = DEFAULT_TOL) -> torch.Tensor:
    """#{i : σᵢ > tol · σ₁} per row (σ sorted descending): the numerical rank at relative tolerance tol."""
    if tol < 0:
        raise GanlabError(f"rank tolerance must be ≥ 0, got {tol}", "pass a small relative tolerance such as 1e-2")
    return (s > tol * s[..., :1]).sum(-1)


def latent(n: int, z_dim: int, seed: int) -> torch.Tensor:
    """n latent codes z ~ N(0, I) from a CPU generator seeded with ``seed`` (same z on any device)."""
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def spectrum(G: nn.Module, n: int = 256, *, seed: int = 0, device: str = "cpu", mode: str = "auto") -> torch.Tensor:
    """Singular values (n, r) of J at n latent codes z ~ N(0, I)."""
    z_dim = getattr(G, "z_dim", None)
    if z_dim is None:
        raise GanlabError(f"{type(G).__name__} has no z_dim attribute", "give the generator a z_dim (its latent size)")
    z = latent(n, int(z_dim), seed).to(device)
    return singular_values(jacobian(G, z, mode=mode).cpu())


def summarize(s: torch.Tensor, tol: float = DEFAULT_TOL) -> dict[str, float]:
    """Means over samples of the ranks and scales of J from its singular values (n, r)."""
    er, tr = effective_rank(s), threshold_rank(s, tol)
    r = s.shape[-1]
    return {
        "tangent_erank": float(er.mean()),
        "tangent_rank": float(tr.double().mean()),
        "tangent_rank_max": float(r),  # min(out_numel, z_dim): the most any generator can reach
        "tangent_deficient": float((tr < r).double().mean()),  # share of samples with rank below r
        "tangent_sigma_max": float(s[:, 0].mean()),
        "tangent_sigma_min": float(s[:, -1].mean()),
        "tangent_tol": float(tol),
    }
