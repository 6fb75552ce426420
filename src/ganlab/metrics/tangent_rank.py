"""Tangent rank of the generator (seed 000 §4, MISSION §6): mode collapse as dimension deficiency.

Singular values of J = ∂G/∂z at n latent codes (the evaluation's seed), summarised as the mean
entropy effective rank, the mean thresholded rank at relative tolerance ``tol``, the share of
rank-deficient samples and the mean largest / smallest singular value. Reads the generator,
not its samples or the real side. See ``ganlab.geometry.tangents``.
"""

from __future__ import annotations

from ganlab.errors import GanlabError
from ganlab.geometry.tangents import DEFAULT_TOL, spectrum, summarize
from ganlab.metrics.context import METRICS, Side


@METRICS.register("tangent_rank")
def tangent_rank(fake: Side, real: Side, *, n: int = 256, tol: float = DEFAULT_TOL, mode: str = "auto") -> dict[str, float]:
    """Needs the generator itself (not given samples); n Jacobians cost about n·z_dim forward passes."""
    ctx = fake.ctx
    if ctx.generator is None:
        raise GanlabError("tangent_rank needs the generator, not only its samples", "evaluate a generator, or drop tangent_rank")
    if n < 1:
        raise GanlabError(f"tangent_rank n must be ≥ 1, got {n}", "pass options tangent_rank={'n': 256}")
    s = spectrum(ctx.generator, n, seed=ctx.seed, device=ctx.device, mode=mode)
    ctx.log.append(("generated", "jacobians", n))  # the protocol records how many Jacobians were taken
    return summarize(s, tol)
