"""Generator weight EMA (seed 004): quality of the raw G and of its averages on the same runs.

Seed 004: GAN training oscillates around the equilibrium; the exponential moving average of
the weights sits near the centre of the orbit, so sampling from it gives better samples.
Each run trains once and keeps four generators: the raw G, the trainer's EMA (train.ema =
0.999) and two more averages with decays 0.99 and 0.9999 (``ganlab.train.ema.EMA``), all scored
with the same samples. Note the trainer's warm-up β_t = min(β, (1 + t)/(10 + t)): an average
with decay β uses β_t = (1 + t)/(10 + t) until β_t reaches β (step ≈ 890 for 0.99, ≈ 9,000 for
0.999, ≈ 90,000 for 0.9999), so the slower averages differ only in longer runs.
"""

from __future__ import annotations

import numpy as np

from ganlab.experiments import tuning
from ganlab.experiments.base import Context, experiment
from ganlab.experiments.tables import band_over_seeds, budget_from_histories, budget_text, stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_seeds
from ganlab.plots import Panel, Series, save_panels

SETUPS = {
    "non-saturating, no penalty": ("game.objective=non_saturating",),
    "non-saturating + R1 γ=1": ("game.objective=non_saturating", "game.penalties=[{name: r1, gamma: 1}]"),
}
GENERATORS = ("raw G", "EMA 0.99", "EMA 0.999", "EMA 0.9999")
STYLES = {"raw G": "-", "EMA 0.99": ":", "EMA 0.999": "-", "EMA 0.9999": "--"}
EXTRA = (0.99, 0.9999)  # the averages kept beside the trainer's own (train.ema = 0.999)
REFERENCE = "EMA 0.999"  # the library's sampling default: its curve sets the budget
VALIDATION_SEED, VALIDATION_SEEDS = 100, 3  # the budget stage's runs, never reported; the test runs are seeds 0–9
# The budget stage: both setups on the validation seeds to this horizon, evaluated every HORIZON_EVERY; the test runs
# train to the first evaluated step at which the slower setup's EMA 0.999 is within 10 % of its % HQ over the horizon's last quarter.
HORIZON, HORIZON_EVERY = 40_000, 1_000


def _measure(run, step: int) -> dict:  # noqa: ANN001
    gens = {"raw G": run.trainer.G, "EMA 0.999": run.trainer.G_eval, **{f"EMA {d:g}": run.extra_ema[d].model for d in EXTRA}}
    out = {}
    for name, G in gens.items():
        m = modes_of(G, run.dataset, seed=0)  # same z for all three generators
        out[name] = {"modes": m["modes"], "hq": 100 * m["hq"], "kl": m["reverse_kl"]}
    return out


def ema_cell(label: str, steps: int, seeds: int, every: int, seed0: int = 0) -> list[list[dict]]:
    """Each seed's history of one setup (seeds ``seed0`` …): modes, % HQ and reverse KL of the four
    generators every ``every`` steps."""
    cfg = make([*POINTS_BASE, "data.name=ring8", f"train.steps={steps}", f"train.seed={seed0}", "train.ema=0.999", *SETUPS[label]])
    return [run_.history for run_ in train_seeds(cfg, seeds, every=every, callback=_measure, extra_ema=EXTRA, desc=f"ema {label}")]


def _flat(per_seed: list[list[dict]], generator: str) -> list[list[dict]]:
    """Histories with one generator's scores at the top level (as ``band_over_seeds`` reads them)."""
    return [[{"step": r["step"], **r[generator]} for r in h] for h in per_seed]


@experiment("ema", seeds=10, order=8)
def run(ctx: Context) -> None:
    """Raw G vs EMA 0.99 / 0.999 / 0.9999 of the same runs on ring8 (modes, % HQ, reverse KL), at a converged budget.

    Full: first the budget stage: both setups on validation seeds 100–102 for 40,000 G steps,
    evaluated every 1,000; the budget is the first evaluated step at which the slower setup's
    EMA 0.999 comes within 10 % of its mean % HQ over the last quarter (``tables.budget_from_histories``; a curve still rising over
    the horizon's last quarter is flagged). Then both setups at that budget, evaluated every
    1,000 steps, 10 seeds trained as one group per setup, the two setups side by side (one worker
    process per core, each kept in ``cells/``); the measured CPU time is in the report. Quick: no
    penalty only, 300 G steps, 1 seed, the budget stage at a 400-step horizon (shown, not
    applied). Claims: each average vs the raw G, paired over seeds (``stats.compare``).
    """
    setups = dict(list(SETUPS.items())[: ctx.size(1, len(SETUPS))])
    val_seeds = ctx.size(1, VALIDATION_SEEDS)
    horizon, horizon_every = ctx.size((400, 100), (HORIZON, HORIZON_EVERY))
    long_jobs = [(label, horizon, val_seeds, horizon_every, VALIDATION_SEED) for label in setups]
    long = dict(zip(setups, ctx.map(ema_cell, long_jobs, desc="ema: budget")))
    rules = {label: budget_from_histories(_flat(per_seed, REFERENCE), "hq") for label, per_seed in long.items()}
    ruled = max(horizon if r["budget"] is None else r["budget"] for r in rules.values())
    steps, every = ctx.size(300, ruled), ctx.size(100, 1000)
    ctx.text(f"**Budget** (the budget rule on the validation seeds, {tuning.seeds_text(VALIDATION_SEED, val_seeds)}, "
             f"{horizon:,}-step runs evaluated every {horizon_every:,}, the {REFERENCE} generator): "
             + "; ".join(f"{label}: {budget_text(r)}" for label, r in rules.items())
             + f". The runs below train {steps:,} G steps" + (" (quick mode: a fixed 300)." if ctx.quick else ", the later of the two."))
    series = []
    for i, (label, per_seed) in enumerate(long.items()):
        xs, mean, lo, hi = band_over_seeds(_flat(per_seed, REFERENCE), "hq")
        series.append(Series(label, xs, mean, lo, hi, colour=f"C{i}"))
    save_panels([Panel(series, f"ring8, validation seeds, {REFERENCE}: mean and 95 % band over {val_seeds} seed(s)", "G step",
                       "% HQ", ylim=(0, 100), vline=steps)],
                ctx.figure("budget", f"The budget stage: % HQ of {REFERENCE} along {horizon:,} steps (dotted line: the budget, "
                           f"{steps:,} steps)"), size=(7, 4))  # fmt: skip
    ctx.data["budget"] = rules
    ctx.data["steps"] = steps
    rows, curves = [], {}
    results = ctx.map(ema_cell, [(label, steps, ctx.seeds, every) for label in setups], desc="ema")
    for label, per_seed in zip(setups, results):
        finals = {g: {k: [h[-1][g][k] for h in per_seed] for k in ("modes", "hq", "kl")} for g in GENERATORS}
        curves[label] = per_seed
        for g in GENERATORS:
            rows.append({"setup": label, "generator": g, "modes": stat(finals[g]["modes"], 1), "hq": stat(finals[g]["hq"], 1),
                         "kl": stat(finals[g]["kl"], 2)})  # fmt: skip
    ctx.table("ema", rows, [("setup", "setup"), ("generator", "generator"), ("modes", "modes of 8"), ("hq", "% HQ"),
                            ("kl", "reverse KL")],
              title=f"ring8 after {steps} G steps, same runs, mean ± std over {ctx.seeds} seed(s)",
              notes="MLP width 64, batch 256, z ∈ R², Adam 2e-4 β = (0.5, 0.999); "
              "2,500 samples from the same z for each generator.")  # fmt: skip

    panels = []
    for label, per_seed in curves.items():
        n = min(len(h) for h in per_seed)
        xs = [r["step"] for r in per_seed[0][:n]]
        series = []
        for g in GENERATORS:
            hq = np.array([[r[g]["hq"] for r in h[:n]] for h in per_seed])
            band = hq.std(0, ddof=1) if len(hq) > 1 else np.zeros(n)  # ± one std over seeds
            series.append(Series(g, xs, hq.mean(0), lo=hq.mean(0) - band, hi=hq.mean(0) + band, style=STYLES[g]))
        panels.append(Panel(series, label, "generator step", "% high-quality samples"))
    save_panels(panels, ctx.figure("ema_hq", f"% HQ along training of the raw G and its three averages (mean ± std of {ctx.seeds} seeds)"),
                size=(6, 4), dpi=85)  # fmt: skip
    verdicts = []
    for label in setups:
        raw = next(r for r in rows if r["setup"] == label and r["generator"] == "raw G")["hq"]
        for g in GENERATORS[1:]:
            avg = next(r for r in rows if r["setup"] == label and r["generator"] == g)["hq"]
            verdicts.append(ctx.claim(f"{label}: % HQ of {g} ({avg.mean:.1f}) > raw G ({raw.mean:.1f})", avg, raw, "greater"))
    ctx.text("**Verdict** (seed 004: the EMA sits near the equilibrium, so it samples better; paired over seeds): "
             + "; ".join(verdicts) + ".")
    ctx.data["curves"] = curves
