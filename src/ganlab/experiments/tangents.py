"""Orthonormal tangents and Laplace–Beltrami SSL (MISSION §6, §7.6; seed 000), at protocol scale.

Two studies of ``experiments.studies``, filed like every other experiment: the generators with
and without the ``orthonormal_tangent`` penalty (effective rank of ∂G/∂z and mode coverage),
the penalty weight chosen per data set on validation seeds; and semi-supervised digits with the
Laplace–Beltrami regulariser on Localized-GAN tangents beside three baselines, each method's two
knobs chosen on the validation split with the same 5 × 3 budget (for Laplace–Beltrami: λ and
the Localized GAN's number of tangents k).
"""

from __future__ import annotations

from ganlab.config import Config
from ganlab.experiments import tuning
from ganlab.experiments.base import Context, experiment
from ganlab.experiments.studies import LB, SSL_GRIDS, TOY, localized_study, ssl_study, tangent_budget_cell, tangent_study
from ganlab.experiments.tables import band_over_seeds, budget_from_histories, budget_text, group_stats, stat
from ganlab.plots import Panel, Series, save_panels

# The budget stage (mixtures): the unpenalised run on validation seeds 100–102 to this horizon, evaluated every
# HORIZON_EVERY; the study trains to the first evaluated step within 10 % of its % HQ over the horizon's last quarter (modes' rule).
HORIZON, HORIZON_EVERY = 40_000, 1_000
VALIDATION_SEED, VALIDATION_SEEDS = 100, 3
DIGITS_STEPS = Config().train.steps  # the digits default's budget, chosen by FID on the validation split (config.py)


@experiment("tangents", seeds=10, order=6)
def run(ctx: Context) -> None:
    """Orthonormal tangent regulariser vs none (effective rank of ∂G/∂z, modes); Laplace–Beltrami SSL vs baselines.

    Claims (seed 000, §4): mode collapse is a dimension deficiency of the tangent space, and
    keeping the tangents ∂G/∂z orthonormal keeps their rank and the generator's coverage; the
    tangents of a Localized GAN make a Laplace–Beltrami regulariser that helps semi-supervised
    learning. Quick: ring8 only, 100 steps, 1 seed, two-point grids on one validation seed, the
    budget stage at a 400-step horizon (shown, not applied). Full: first the budget stage on
    each mixture: the unpenalised run on validation seeds 100–102 for 40,000 G steps evaluated
    every 1,000, and the first evaluated step within 10 % of its mean % HQ over the last quarter;
    the digits train the library's digits budget (8,000 steps, chosen by FID). Then at those
    budgets: weight ∈ {0.01, 0.1, 1} on 3 validation seeds, then 10 seeds, with and without the
    penalty (the penalised run keeps the unpenalised one's own penalties: R1 on the mixtures);
    SSL with 10 labels per class, 5 × 3 grids on 3 validation seeds (one Localized GAN per k),
    then 10 seeds. Its cells run on the experiment's executor and are kept in ``cells/``; the
    measured CPU time is in the report; quick ≈ 45 s CPU. Claims paired over seeds
    (``stats.compare``).
    """
    datasets = ("ring8",) if ctx.quick else ("ring8", "grid25", "digits")
    toys = [d for d in datasets if d in TOY]
    val_seeds = ctx.size(1, VALIDATION_SEEDS)
    horizon, horizon_every = ctx.size((400, 100), (HORIZON, HORIZON_EVERY))
    long = dict(zip(toys, ctx.map(tangent_budget_cell, [(d, horizon, horizon_every, val_seeds, VALIDATION_SEED) for d in toys],
                                  desc="tangents: budget")))  # fmt: skip
    rules = {d: budget_from_histories(long[d], "hq") for d in toys}
    steps = None if ctx.quick else {**{d: horizon if r["budget"] is None else r["budget"] for d, r in rules.items()},
                                    "digits": DIGITS_STEPS}  # fmt: skip
    ctx.text(f"**Budget** (the budget rule on the unpenalised run, {tuning.seeds_text(VALIDATION_SEED, val_seeds)}, "
             f"{horizon:,}-step runs evaluated every {horizon_every:,}, the EMA G): "
             + "; ".join(f"{d}: {budget_text(r)}" for d, r in rules.items())
             + (". Quick mode keeps its fixed short budgets." if ctx.quick else
                f". The study trains {', '.join(f'{d} {n:,}' for d, n in steps.items())} G steps (digits: the library's digits "
                "budget, chosen by FID on the validation split)."))  # fmt: skip
    series = []
    for i, d in enumerate(toys):
        xs, mean, lo, hi = band_over_seeds(long[d], "hq")
        series.append(Series(d, xs, mean, lo, hi, colour=f"C{i}"))
    save_panels([Panel(series, f"unpenalised, validation seeds: mean and 95 % band over {val_seeds} seed(s)", "G step", "% HQ",
                       ylim=(0, 100))],
                ctx.figure("budget", f"The budget stage: % HQ of the unpenalised tangent-study run (z_dim 8) along {horizon:,} "
                           "steps"), size=(7, 4))  # fmt: skip
    ctx.data["budget"] = rules
    rows = tangent_study(ctx.quick, ctx.seeds, ctx.out, datasets=datasets, weight="tune", mapper=ctx.map, steps=steps)
    values = ["erank", "rank", "sigma_max", "sigma_min", "modes", "hq", "reverse_kl"]
    if (ctx.out / "tangents_validation.md").is_file():
        ctx.parts.append((ctx.out / "tangents_validation.md").read_text())
    ctx.table("tangents", group_stats(rows, ["data", "penalty", "weight"], values),
              title=f"Tangent rank and mode coverage, with and without the orthonormality penalty (mean ± std [95 % interval] "
              f"over {ctx.seeds} seed(s))")  # fmt: skip
    ctx.table("tangents_runs", rows, title="Tangent study, every run")
    for data in datasets:
        if (ctx.out / f"spectrum_{data}.png").is_file():
            ctx.parts.append(f"![{data}: singular values of ∂G/∂z](spectrum_{data}.png)\n\n*{data}: σᵢ/σ₁ of ∂G/∂z, seed 0*")
    claims = []
    for data in datasets:
        by = {p: sorted((r for r in rows if r["data"] == data and r["penalty"] == p), key=lambda r: r["seed"])
              for p in ("none", "orthonormal_tangent")}  # fmt: skip
        for key, what in (("erank", "effective rank"), ("modes", "modes")):
            a, b = stat([r[key] for r in by["orthonormal_tangent"]]), stat([r[key] for r in by["none"]])
            claims.append(ctx.claim(f"{data}: {what} with the penalty ({a.mean:.2f}) > without ({b.mean:.2f})", a, b, "greater"))
    ctx.text("**Verdict, tangents** (seed 000: orthonormal tangents keep the tangent rank and the coverage; paired over seeds): "
             + "; ".join(claims) + ".")  # fmt: skip
    ctx.data["runs"] = rows

    localized_study(ctx.quick, ctx.out, progress=False)
    ctx.parts.append((ctx.out / "localized.md").read_text())
    ctx.figure("localized_spectrum", "Localized GAN: σᵢ/σ₁ of its tangents ∂G(x, z)/∂z at z = 0 on the test digits")  # drawn by the study
    ctx.figure("localized_edits", "Localized GAN: one test digit of 0, 2, 4, 6, 8 moved along its first three tangents, "
               "G(x, t·vᵢ) for t = −4 … 4 (t = 0 is x)")
    ssl_rows = ssl_study(ctx.quick, ctx.seeds, ctx.out, localized=ctx.out / "localized.pt", progress=False, tune=True,
                         mapper=ctx.map)  # fmt: skip
    (ctx.out / "localized.pt").unlink(missing_ok=True)  # the model is an intermediate, not a result
    ctx.parts.append((ctx.out / "ssl_validation.md").read_text())
    ctx.table("ssl", group_stats(ssl_rows, ["method"], ["test_acc"], digits=4),
              title=f"Semi-supervised digits, 10 labels per class: test accuracy (mean ± std [95 % interval] over {ctx.seeds} seed(s))",
              notes=(ctx.out / "ssl.md").read_text().split("\n\n")[-1].strip())  # fmt: skip
    acc = {m: stat([r["test_acc"] for r in sorted(ssl_rows, key=lambda r: r["seed"]) if r["method"] == m], 4) for m in SSL_GRIDS}
    ssl_claims = [ctx.claim(f"accuracy of Laplace–Beltrami ({acc[LB].mean:.3f}) > {m} ({acc[m].mean:.3f})", acc[LB], acc[m], "greater")
                  for m in SSL_GRIDS if m != LB]  # fmt: skip
    ctx.text("**Verdict, Laplace–Beltrami SSL** (seed 000: Localized-GAN tangents regularise a classifier along the data "
             "manifold; paired over seeds, the same labelled set per seed): " + "; ".join(ssl_claims) + ".")  # fmt: skip
    ctx.data["ssl_runs"] = ssl_rows
