"""Small numerical helpers shared by the objectives of the zoo (not objectives themselves)."""

from __future__ import annotations

import torch

# Below this squared norm a vector counts as zero. The norm is not differentiable at 0 (a cone);
# clamping the *squared* norm gives the symmetric subgradient 0 there instead of 0·∞ = NaN, and
# changes the norm by at most 1e-12 (float32 and float64 alike).
_TINY_SQ = 1e-24


def safe_norm(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """‖x‖₂ along ``dim`` with a finite gradient everywhere (0 at x = 0)."""
    return x.pow(2).sum(dim=dim, keepdim=keepdim).clamp_min(_TINY_SQ).sqrt()


def per_sample(d: torch.Tensor, what: str = "D output") -> torch.Tensor:
    """A scalar-per-sample D output of shape (B,) or (B, 1) as shape (B,).

    Paired objectives (real i with fake i) need one number per sample; a vector output here is
    a wiring mistake, so say so instead of broadcasting silently.
    """
    if d.dim() == 1:
        return d
    if d.dim() == 2 and d.shape[1] == 1:
        return d[:, 0]
    raise ValueError(f"{what} must have one value per sample (shape (B,) or (B, 1)), got {tuple(d.shape)}")


def check_paired(a: torch.Tensor, b: torch.Tensor, objective: str) -> None:
    """Objectives that pair real i with fake i need equal batch sizes."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{objective} pairs real i with fake i and needs equal batch sizes, got {a.shape[0]} and {b.shape[0]}"
        )
