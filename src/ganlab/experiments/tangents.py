"""Orthonormal-tangent study (MISSION §7.6): ``experiments.studies.tangent_study`` at the experiment's size.

The study trains the generators with and without the ``orthonormal_tangent`` penalty and
measures the effective rank of ∂G/∂z and mode coverage; this module files its rows and figures
like every other experiment.
"""

from __future__ import annotations

from ganlab.experiments.base import Context, experiment
from ganlab.experiments.studies import tangent_study
from ganlab.experiments.tables import group_stats


@experiment("tangents", seeds=2, order=6)
def run(ctx: Context) -> None:
    """Orthonormal tangent regulariser vs none: effective rank of ∂G/∂z and mode coverage.

    Claim (seed 000, §4): mode collapse is a dimension deficiency of the tangent space; keeping
    the tangents ∂G/∂z orthonormal keeps their rank and the generator's coverage. Quick: ring8
    only, 100 steps, 1 seed. Full: ring8, grid25 (1,500 steps) and digits (600 steps), 2 seeds
    measured with --seeds 1: 175 s CPU (one thread, shared 2-core machine); quick ≈ 12 s CPU.
    """
    datasets = ("ring8",) if ctx.quick else ("ring8", "grid25", "digits")
    rows = tangent_study(ctx.quick, ctx.seeds, ctx.out, datasets=datasets, progress=False)
    values = ["erank", "rank", "sigma_max", "sigma_min", "modes", "hq", "reverse_kl"]
    ctx.table(
        "tangents",
        group_stats(rows, ["data", "penalty"], values),
        title="Tangent rank and mode coverage, with and without the orthonormality penalty (mean ± std over seeds)",
    )
    ctx.table("tangents_runs", rows, title="Tangent study, every run")
    for data in datasets:
        if (ctx.out / f"spectrum_{data}.png").is_file():
            ctx.parts.append(f"![{data}: singular values of ∂G/∂z](spectrum_{data}.png)\n\n*{data}: σᵢ/σ₁ of ∂G/∂z, seed 0*")
    by: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        by.setdefault((r["data"], r["penalty"]), []).append(r["erank"])
    lines = []
    for data in datasets:
        none, ortho = by.get((data, "none"), []), by.get((data, "orthonormal_tangent"), [])
        if none and ortho:
            a, b = sum(none) / len(none), sum(ortho) / len(ortho)
            lines.append(f"{data}: effective rank {a:.2f} without, {b:.2f} with the penalty ({'higher' if b > a else 'not higher'})")
    ctx.text("**Verdict** (seed 000: orthonormal tangents keep the tangent rank): " + "; ".join(lines) + ".")
    ctx.data["runs"] = rows
