"""Tangent rank of the generator (seed 000 §4, MISSION §6): mode collapse as dimension deficiency.

Singular values of J = ∂G/∂z at n latent codes (the evaluation's seed), summarised as the mean
entropy effective rank, the mean thresholded rank at relative tolerance ``tol``, the share of
rank-deficient samples and the mean largest / smallest singular value. Reads the generator,
not its samples or the real side. See ``ganlab.metrics.tangents``.
"""

from __future__ import annotations

import dataclasses

import torch

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, metric
from ganlab.metrics.tangents import DEFAULT_TOL, spectrum, summarize
from ganlab.typed import field


@dataclasses.dataclass(frozen=True)
class TangentOptions:
    n: int = field(256, low=1)  # Jacobians taken (latent codes)
    tol: float = field(DEFAULT_TOL, low=0)  # relative tolerance of the thresholded rank
    mode: str = field("auto", choices=("auto", "forward", "reverse"))


@metric("tangent_rank", options=TangentOptions, better={"tangent_erank": True}, features=False)
def tangent_rank(fake: Side, real: Side, o: TangentOptions) -> dict[str, float]:
    """Needs the generator itself (not given samples); n Jacobians cost about n·z_dim forward passes."""
    ctx = fake.ctx
    if ctx.generator is None:
        raise GanlabError("tangent_rank needs the generator, not only its samples", "evaluate a generator, or drop tangent_rank")
    k = getattr(ctx.generator, "n_classes", None)
    if k:  # a conditional G: its Jacobians in z at balanced classes, class by class
        from ganlab.nets.conditional import FixedClass

        counts = [len(range(c, o.n, k)) for c in range(k)]
        s = torch.cat([spectrum(FixedClass(ctx.generator, c), m, seed=ctx.seed + c, device=ctx.device, mode=o.mode)
                       for c, m in enumerate(counts) if m])  # fmt: skip
    else:
        s = spectrum(ctx.generator, o.n, seed=ctx.seed, device=ctx.device, mode=o.mode)
    ctx.log.append(("generated", "jacobians", o.n))  # the protocol records how many Jacobians were taken
    return summarize(s, o.tol)
