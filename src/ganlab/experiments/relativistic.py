"""Relativistic GANs vs the standard GAN, and WGAN-div vs WGAN-GP (MISSION §7.5).

Claims (seed 003 / Jolicoeur-Martineau 2019, REFERENCES §1.3; Wu et al. 2018, §1.2): a
relativistic discriminator (RSGAN, RaSGAN) trains more stably and reaches better samples than
the standard non-saturating GAN (SGAN); RaSGAN-GP with n_D = 1 beats WGAN-GP (n_D = 5) in
wall-clock; WGAN-div (zero-centred k‖∇D‖^p) does at least as well as WGAN-GP. Measured here on
ring8 by mode coverage of the raw G along training, against G steps and CPU seconds.
"""

from __future__ import annotations

import numpy as np

from ganlab.experiments import tuning
from ganlab.experiments.base import Context, experiment
from ganlab.experiments.tables import band_over_seeds, budget_from_histories, budget_text, hq_target, reaches, stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_seeds
from ganlab.game import OBJECTIVES
from ganlab.plots import Panel, Series, save_panels

WGAN_OPT = ("train.n_critic=5", "train.lr_d=1e-4", "train.lr_g=1e-4", "train.betas_d=[0.0, 0.9]", "train.betas_g=[0.0, 0.9]")

# label → (group, overrides); group A: no penalty (the loss alone), group B: gradient penalties
SETUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "SGAN (non-saturating)": ("A", ("game.objective=non_saturating",)),
    "RSGAN": ("A", ("game.objective=rsgan",)),
    "RaSGAN": ("A", ("game.objective=rasgan",)),
    "WGAN-GP (λ=10, n_D=5)": ("B", ("game.objective=wasserstein", "game.penalties=[{name: gp, lam: 10}]", *WGAN_OPT)),
    # the WGAN-GP authors' toy settings (λ = 0.1, β = (0.5, 0.9)): the declared 2-D benchmark settings
    "WGAN-GP (λ=0.1 toy, n_D=5)": ("B", ("game.objective=wasserstein", *OBJECTIVES.get("wasserstein").benchmark[0])),
    "WGAN-div (k=2, p=6, n_D=5)": ("B", ("game.objective=wasserstein", "game.penalties=[{name: wgan_div, k: 2, p: 6}]", *WGAN_OPT)),
    "RaSGAN-GP (n_D=1)": (
        "B",
        (
            "game.objective=rasgan",
            "game.penalties=[{name: gp, lam: 10}]",
            "train.lr_d=1e-4",
            "train.lr_g=1e-4",
            "train.betas_d=[0.0, 0.9]",
            "train.betas_g=[0.0, 0.9]",
        ),
    ),
}


# D's regularisation knob of each setup for the search (tuning.grid): None = no penalty, D steps are scaled instead
KNOBS: dict[str, tuning.Knob | None] = {
    "SGAN (non-saturating)": None,
    "RSGAN": None,
    "RaSGAN": None,
    "WGAN-GP (λ=10, n_D=5)": ("game.penalties", "lam", 1),
    "WGAN-GP (λ=0.1 toy, n_D=5)": ("game.penalties", "lam", 1),
    "WGAN-div (k=2, p=6, n_D=5)": ("game.penalties", "k", 1),
    "RaSGAN-GP (n_D=1)": ("game.penalties", "lam", 1),
}
BASE = "SGAN (non-saturating)"
VALIDATION_SEED, VALIDATION_SEEDS = 100, 3  # the search's runs, never reported; the test runs are seeds 0–9
# The budget stage: the baseline SGAN, papers' settings, on the validation seeds to this horizon, evaluated every
# HORIZON_EVERY; every run then trains to the first evaluated step within 10 % of its % HQ over the horizon's last quarter (modes' rule).
HORIZON, HORIZON_EVERY = 30_000, 1_000


def _measure(run, step: int) -> dict:  # noqa: ANN001
    m = modes_of(run.trainer.G, run.dataset, seed=0)
    return {"modes": m["modes"], "hq": 100 * m["hq"], "kl": m["reverse_kl"]}


def _overrides(label: str, steps: int, seed0: int) -> list[str]:
    return [*POINTS_BASE, "data.name=ring8", f"train.steps={steps}", f"train.seed={seed0}", "train.ema=null", *SETUPS[label][1]]


def setup_cell(label: str, steps: int, seeds: int, every: int, seed0: int = 0, extra: tuple[str, ...] = ()) -> list[list[dict]]:
    """Each seed's history (modes, % HQ and reverse KL of the raw G every ``every`` steps) of one
    setup over seeds ``seed0`` … ``seed0 + seeds − 1``, with ``extra`` overrides after its own."""
    cfg = make([*_overrides(label, steps, seed0), *extra])
    return [run_.history for run_ in train_seeds(cfg, seeds, every=every, callback=_measure, desc=label)]


def _row(label: str, per_seed: list[list[dict]], steps: int, hq: float) -> dict:
    final = [h[-1] for h in per_seed]
    # first evaluation at which all 8 modes are covered, and at which the target % HQ is met (NaN when never)
    r = reaches(per_seed, hq)
    ms_per_step = [1000 * h[-1]["cpu"] / max(h[-1]["step"], 1) for h in per_seed]
    # stability: how much the HQ share moves between evaluations in the second half
    wobble = [float(np.mean(np.abs(np.diff([r["hq"] for r in h if r["step"] >= steps // 2])))) for h in per_seed]
    return {
        "group": SETUPS[label][0], "setup": label, "modes": stat([f["modes"] for f in final], 1), "hq": stat([f["hq"] for f in final], 1),
        "kl": stat([f["kl"] for f in final], 2), "reach": stat(r["reach"], 0), "reach_cpu": stat(r["reach_cpu"], 1),
        "reach_hq": stat(r["reach_hq"], 0), "reach_hq_cpu": stat(r["reach_hq_cpu"], 1),
        "wobble": stat(wobble, 1), "ms": stat(ms_per_step, 2), "cpu": stat([h[-1]["cpu"] for h in per_seed], 1),
    }  # fmt: skip


def _columns(hq: float) -> list[tuple[str, str]]:
    return [
        ("group", "group"), ("setup", "setup"), ("modes", "modes of 8 (final)"), ("hq", "% HQ (final)"), ("kl", "reverse KL (final)"),
        ("reach", "first step with 8 modes"), ("reach_cpu", "CPU s to 8 modes"), ("reach_hq", f"first step with ≥ {hq:g} % HQ"),
        ("reach_hq_cpu", f"CPU s to {hq:g} % HQ"), ("wobble", "mean |Δ %HQ| between evals, 2nd half"), ("ms", "CPU ms / G step"),
    ]  # fmt: skip


def _figure(ctx: Context, histories: dict[str, list[list[dict]]], name: str, what: str) -> None:
    panels = {(g, axis): Panel([], xlabel=axis, ylabel="% high-quality samples") for g in "AB"
              for axis in ("generator step", "training CPU seconds")}  # fmt: skip
    for i, (label, per_seed) in enumerate(histories.items()):
        group = SETUPS[label][0]
        xs, mean, lo, hi = band_over_seeds(per_seed, "hq")
        _, cpu, _, _ = band_over_seeds(per_seed, "cpu")
        panels[(group, "generator step")].series.append(Series(label, xs, mean, lo, hi, colour=f"C{i}"))
        panels[(group, "training CPU seconds")].series.append(Series(label, cpu, mean, colour=f"C{i}"))
    save_panels(list(panels.values()), ctx.figure(name, f"{what}: ring8 % high-quality samples (mean of {ctx.seeds} seeds; 95 % "
                "band on the left) against G steps (left) and training CPU seconds (right); top: no penalty, bottom: gradient "
                "penalties"), cols=2,
                size=(5.5, 3.5), dpi=85)  # fmt: skip


def _claims(ctx: Context, by: dict[str, dict], steps: int, what: str, hq: float) -> list[str]:
    """The source's claims on one set of rows (the papers' settings, or the tuned ones)."""
    if BASE not in by:
        return []
    base = by[BASE]
    sgan = base["hq"]
    claims = [ctx.claim(f"{what}: final % HQ of {k} ({by[k]['hq'].mean:.1f}) > SGAN ({sgan.mean:.1f})", by[k]["hq"], sgan, "greater")
              for k in ("RSGAN", "RaSGAN") if k in by]  # fmt: skip
    for k in ("RSGAN", "RaSGAN"):  # convergence speed: a seed that never reaches a target is censored at its budget
        if k not in by:
            continue
        for target, key in (("8 modes", "reach"), (f"{hq:g} % HQ", "reach_hq")):
            claims.append(ctx.claim(f"{what}: G steps of {k} to {target} < SGAN's", by[k][key], base[key], "less", budget=steps))
            claims.append(ctx.claim(f"{what}: training CPU s of {k} to {target} < SGAN's", by[k][f"{key}_cpu"], base[f"{key}_cpu"],
                                    "less", budget=(list(by[k]["cpu"].values), list(base["cpu"].values))))  # fmt: skip
    div_label = "WGAN-div (k=2, p=6, n_D=5)"
    for k in ("WGAN-GP (λ=10, n_D=5)", "WGAN-GP (λ=0.1 toy, n_D=5)"):
        if div_label in by and k in by:
            div, gp = by[div_label]["hq"], by[k]["hq"]
            claims.append(ctx.claim(f"{what}: final % HQ of WGAN-div ({div.mean:.1f}) > {k} ({gp.mean:.1f})", div, gp, "greater"))
    return claims


@experiment("relativistic", seeds=10, order=5)
def run(ctx: Context) -> None:
    """RSGAN / RaSGAN vs SGAN and WGAN-div vs WGAN-GP: ring8 mode coverage against steps and CPU time.

    Two rows per setup: the papers' settings, and the setting chosen on validation runs (seeds
    100–102, never reported) from the same five-point grid as ``modes`` (``tuning.grid``: learning
    rate ×3 / ×0.3, the penalty weight ×10 / ×0.1, or D steps ×2 / ×5 without a penalty). Full:
    first the budget stage: the baseline SGAN, papers' settings, on validation seeds 100–102 for
    30,000 G steps evaluated every 1,000; the budget is the first evaluated step at which its mean
    % HQ comes within 10 % of its mean over the last quarter of the 30,000 (``tables.budget_from_histories``; a curve still rising over the
    horizon's last quarter is flagged). Then every run trains that budget, evaluated every 200
    steps, 10 seeds, every setup tuned (one group per setup and setting, two groups at a time: one
    worker process per core, each kept in ``cells/`` as it ends); setups slower than the baseline
    are read at the same budget, and their curves show whether they were still rising. Quick: 200
    G steps, evaluated every 50, 1 seed, two setups tuned on one validation seed, the budget stage
    at a 400-step horizon (shown, not applied). The measured CPU time is in the report. Claims
    paired over seeds (``stats.compare``).
    """
    tuned_setups = ctx.size(("RSGAN", "WGAN-div (k=2, p=6, n_D=5)"), tuple(SETUPS))
    val_seeds = ctx.size(1, VALIDATION_SEEDS)
    horizon, horizon_every = ctx.size((400, 100), (HORIZON, HORIZON_EVERY))
    (long,) = ctx.map(setup_cell, [(BASE, horizon, val_seeds, horizon_every, VALIDATION_SEED)], desc="relativistic: budget")
    rule = budget_from_histories(long, "hq")
    ruled = horizon if rule["budget"] is None else rule["budget"]
    steps = ctx.size(200, ruled)  # quick: a fixed short budget
    every = ctx.size(50, 200)  # fine enough for the steps-to-8-modes claims, which are read early in training
    grids = {label: tuning.grid(label, SETUPS[label][1], make(_overrides(label, steps, 0)), KNOBS[label]) for label in tuned_setups}
    test_jobs = {label: (label, steps, ctx.seeds, every) for label in SETUPS}
    val_jobs = {(label, name): (label, steps, val_seeds, every, VALIDATION_SEED, extra)
                for label, points in grids.items() for name, extra in points}  # fmt: skip
    first = [*test_jobs.values(), *val_jobs.values()]
    done = dict(zip(first, ctx.map(setup_cell, first, desc="relativistic: papers' + validation")))
    chosen, val_rows = {}, []
    for label, points in grids.items():
        finals = [[h[-1] for h in done[val_jobs[(label, name)]]] for name, _ in points]
        scores = [(float(np.mean([f["modes"] for f in fs])), float(np.mean([f["hq"] for f in fs]))) for fs in finals]
        pick = tuning.choose(scores)
        chosen[label] = points[pick]
        for (name, _), fs in zip(points, finals):
            val_rows.append({"setup": label, "setting": name, "modes": stat([f["modes"] for f in fs], 1),
                             "hq": stat([f["hq"] for f in fs], 1), "chosen": "✓" if name == points[pick][0] else ""})  # fmt: skip
    tuned_jobs = {label: (label, steps, ctx.seeds, every, 0, extra) for label, (_, extra) in chosen.items() if extra}
    second = list(tuned_jobs.values())
    done.update(zip(second, ctx.map(setup_cell, second, desc="relativistic: tuned")))

    histories = {label: done[job] for label, job in test_jobs.items()}
    tuned_histories = {label: done[tuned_jobs[label]] if label in tuned_jobs else histories[label] for label in chosen}
    target = hq_target([rule["plateau"]])  # the baseline's plateau: the level its own budget is read at
    rows = [_row(label, per_seed, steps, target) for label, per_seed in histories.items()]
    tuned_rows = [{**_row(label, per_seed, steps, target), "setting": chosen[label][0]} for label, per_seed in tuned_histories.items()]
    notes = ("Group A: no penalty, Adam 2e-4 β = (0.5, 0.999), n_D = 1 (the loss alone). Group B: gradient penalties, Adam 1e-4 "
             "β = (0, 0.9); WGAN-GP λ = 10, WGAN-div k = 2, p = 6 on interpolates, RaSGAN-GP λ = 10; WGAN-GP also with its authors' toy "
             "settings (gan_toy.py: λ = 0.1, β = (0.5, 0.9)). MLP width 64, batch 256, z ∈ R². "
             "\"n/a\" = never reached; a count in parentheses = seeds that never reached it. The seeds of a setup train as one "
             "group (train.runs), whose CPU time is shared evenly among its runs: \"CPU ms / G step\" has no spread over seeds by "
             "construction, and the CPU s to a target differ between seeds only by the step reached.")  # fmt: skip
    columns = _columns(target)
    ctx.table("relativistic", rows, columns,
              title=f"Papers' settings: ring8, {steps} G steps, raw G evaluated every {every} steps, mean ± std over {ctx.seeds} seed(s)",
              notes=notes)  # fmt: skip
    ctx.table("relativistic_tuned", tuned_rows, [*columns[:2], ("setting", "chosen setting"), *columns[2:]],
              title=f"Tuned settings: the setting chosen on the validation runs, trained on the same {ctx.seeds} test seeds",
              notes="\"declared\": the validation runs chose the papers' settings, and the row repeats the one above. Otherwise the "
              "chosen change is applied on top of them.")  # fmt: skip
    ctx.table("relativistic_validation", val_rows, [("setup", "setup"), ("setting", "setting"), ("modes", "modes of 8 (final)"),
                                                    ("hq", "% HQ (final)"), ("chosen", "chosen")],
              title=f"The search: every setting on the validation runs ({tuning.seeds_text(VALIDATION_SEED, val_seeds)}, "
              f"never reported; {steps} G steps)",
              notes="Rule (tuning.choose, as in modes): the best mean final % HQ among the settings within 0.5 modes of the most "
              "modes covered; ties go to the papers' settings. Grid (tuning.grid): learning rate of both nets ×3 and ×0.3; the "
              "penalty weight (GP λ, WGAN-div k) ×10 and ×0.1; without a penalty, D steps per G step ×2 and ×5.")  # fmt: skip
    _figure(ctx, histories, "hq_vs_time", "Papers' settings")
    _figure(ctx, tuned_histories, "hq_vs_time_tuned", "Tuned settings")
    cpu_min = sum(h[-1]["cpu"] for job in {*first, *second} for h in done[job]) / 60
    ctx.text(f"**Budget.** The budget rule on the baseline SGAN (papers' settings, "
             f"{tuning.seeds_text(VALIDATION_SEED, val_seeds)}, {horizon:,} G steps evaluated every {horizon_every:,}): "
             + budget_text(rule)
             + f". Every run trains {steps:,} G steps" + (" (quick mode: a fixed 200)" if ctx.quick else "")
             + f"; convergence speed is read as steps and CPU s to 8 modes and to {target:g} % HQ (90 % of the baseline's "
             "plateau, to the point below)"
             + f"; training CPU of all runs {cpu_min:.0f} min (papers' settings {len(SETUPS) * ctx.seeds} runs, validation "
             f"{len(val_jobs) * val_seeds}, tuned settings that differ {len(second) * ctx.seeds}, the budget stage "
             f"{sum(h[-1]['cpu'] for h in long) / 60:.1f} more).")  # fmt: skip
    series = [Series(f"{BASE}, papers' settings", *band_over_seeds(long, "hq"), colour="C0")]
    save_panels([Panel(series, f"ring8, validation seeds: mean and 95 % band over {val_seeds} seed(s)", "G step", "% HQ",
                       ylim=(0, 100), vline=steps)],
                ctx.figure("budget", f"The budget stage: % HQ of the baseline SGAN along {horizon:,} steps (dotted line: the "
                           f"budget, {steps:,} steps)"), size=(7, 4))  # fmt: skip
    ctx.data["budget"] = dict(rule)
    ctx.data["hq_target"] = target
    ctx.data["steps"] = steps
    by = {r["setup"]: r for r in rows}
    tby = {r["setup"]: r for r in tuned_rows}
    claims = _claims(ctx, by, steps, "papers' settings", target)
    if all(k in tby for k in SETUPS):
        claims += _claims(ctx, tby, steps, "tuned", target)
    for label, (name, extra) in chosen.items():
        if extra:  # does the validation choice carry over to the test seeds?
            claims.append(ctx.claim(f"% HQ of {label}, tuned ({name}) > papers' settings", tby[label]["hq"], by[label]["hq"], "greater"))
    ctx.text("**Verdict** (seed 003: relativistic GANs beat SGAN; WGAN-div beats WGAN-GP; paired over seeds): "
             + "; ".join(claims) + ".")
    ctx.data["histories"] = histories
    ctx.data["histories_tuned"] = tuned_histories
    ctx.data["chosen"] = {label: {"setting": name, "overrides": list(extra)} for label, (name, extra) in chosen.items()}
