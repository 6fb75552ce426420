"""Equilibrium diagnostic (MISSION §4, seed 001): mean σ(D(x)) on real and generated samples.

At the Nash equilibrium of the original game p_G = p_data and D* = ½ everywhere, so both
means → ½; a gap says the discriminator still separates the two. Meaningful for objectives
whose D outputs a probability logit (classic, non-saturating); for a critic (WGAN, hinge)
σ of its output is only a monotone squashing and the raw means are reported too.
"""

from __future__ import annotations

import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, frozen_eval, metric


def discriminator_means(
    D: nn.Module, fake: torch.Tensor, real: torch.Tensor, *, batch_size: int = 500, device: str = "cpu",
    y_fake: torch.Tensor | None = None, y_real: torch.Tensor | None = None,
) -> dict[str, float]:
    """Mean σ(D(x)) and mean D(x) on generated and real samples (first generated, second real);
    a conditional D reads each sample's class (``y_fake``, ``y_real``), and only D's own output
    counts, not an auxiliary head (AC-GAN's class logits)."""

    def logits(x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        out = []
        with frozen_eval(D), torch.no_grad():
            for i in range(0, len(x), batch_size):
                args = (x[i : i + batch_size].to(device),) + (() if y is None else (y[i : i + batch_size].to(device),))
                d = D(*args)
                out.append((d[:, :1] if getattr(D, "aux_outputs", 0) else d).double().cpu().reshape(-1))
        return torch.cat(out)

    d_fake, d_real = logits(fake, y_fake), logits(real, y_real)
    return {
        "d_real": float(torch.sigmoid(d_real).mean()),
        "d_fake": float(torch.sigmoid(d_fake).mean()),
        "d_real_logit": float(d_real.mean()),
        "d_fake_logit": float(d_fake.mean()),
    }


@metric("equilibrium", features=False)
def equilibrium(fake: Side, real: Side, o: object) -> dict[str, float]:
    """Mean σ(D) on real and generated samples (→ ½ at equilibrium), D the evaluation's discriminator."""
    D = fake.ctx.discriminator
    if D is None:
        raise GanlabError("equilibrium needs the discriminator", "pass discriminator=D to evaluate, or drop equilibrium")
    y_fake = y_real = None
    if getattr(D, "n_classes", None) and not getattr(D, "aux_outputs", 0):  # D(x, y); AC-GAN's D reads x alone
        y_fake = torch.as_tensor(fake.labels("equilibrium of a conditional D"))
        y_real = torch.as_tensor(real.labels("equilibrium of a conditional D"))
    return discriminator_means(D, fake.x, real.x, batch_size=fake.ctx.batch_size, device=fake.ctx.device, y_fake=y_fake, y_real=y_real)
