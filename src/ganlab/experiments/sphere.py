"""Sphere GAN ablation over moments R and sphere dimension, and its cost vs WGAN-GP: per step and to a target.

Seed 002 / Park & Kwon 2019 (REFERENCES §1.1): Sphere GAN matches R moments of the geodesic
distance to the north pole of Sⁿ and needs no gradient penalty, so a step costs less than a
WGAN-GP step (no double backward); the paper uses R = 3 (R = 5 for ConvNets) on S¹⁰²⁴.
"""

from __future__ import annotations

import time

import numpy as np

from ganlab.api import in_memory
from ganlab.experiments import tuning
from ganlab.experiments.base import Context, experiment
from ganlab.experiments.tables import NEAR, band_over_seeds, budget_from_histories, budget_text, hq_target, reaches, stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_seeds
from ganlab.game import OBJECTIVES
from ganlab.plots import Panel, Series, save_panels

SPHERE_OPT = ("model.init=xavier", "train.lr_d=1e-4", "train.lr_g=1e-4", "train.betas_d=[0.0, 0.9]", "train.betas_g=[0.0, 0.9]")
GP_OPT = (
    "game.penalties=[{name: gp, lam: 10}]",
    "train.lr_d=1e-4",
    "train.lr_g=1e-4",
    "train.betas_d=[0.0, 0.9]",
    "train.betas_g=[0.0, 0.9]",
)


def timing(steps: int, d_out: int) -> list[dict]:
    """Per-step CPU time of Sphere GAN and WGAN-GP on the digits DCGAN, measured interleaved:
    one step of each in turn, so that both see the same machine load. Sphere GAN runs twice: with
    the paper's wide head (D outputs Rⁿ, n = ``d_out``: on the digits DCGAN that head holds most of
    D's weights) and with a one-wide head — the same D as WGAN-GP's, so that the objective's own
    cost is compared and the head's size is its own factor."""
    setups = {
        f"Sphere GAN (R=3), n_D=1, head S^{d_out}": ["game.objective=sphere", "game.params={moments: 3}", f"model.d_out={d_out}",
                                                     *SPHERE_OPT],
        "Sphere GAN (R=3), n_D=1, head S^1 (WGAN-GP's D)": ["game.objective=sphere", "game.params={moments: 3}", "model.d_out=1",
                                                            *SPHERE_OPT],
        "WGAN-GP, n_D=1": ["game.objective=wasserstein", *GP_OPT, "train.n_critic=1"],
        "WGAN-GP, n_D=5 (paper)": ["game.objective=wasserstein", *GP_OPT, "train.n_critic=5"],
    }
    trainers = {}
    for label, over in setups.items():
        cfg = make(["data.name=digits", "train.progress=false", "train.ema=null", *over])
        trainers[label] = in_memory(cfg)[1]
    for tr in trainers.values():  # warm-up: first steps allocate
        for _ in range(3):
            tr.train_step()
    times: dict[str, list[float]] = {k: [] for k in trainers}
    for _ in range(steps):
        for label, tr in trainers.items():
            start = time.process_time()
            tr.train_step()
            times[label].append(time.process_time() - start)
    ref = float(np.median(times["WGAN-GP, n_D=1"]))
    rows = []
    for label, t in times.items():
        med = float(np.median(t))
        rows.append({"setup": label, "ms": 1000 * med, "mean_ms": 1000 * float(np.mean(t)), "ratio": med / ref})
    return rows


def _modes(run, step: int) -> dict:  # noqa: ANN001
    if run.diverged:
        return {}
    m = modes_of(run.trainer.G_eval, run.dataset, seed=0)
    return {"modes": m["modes"], "hq": 100 * m["hq"]}


def sphere_cell(label: str, over: tuple[str, ...], steps: int, seeds: int, every: int, seed0: int = 0) -> dict:
    """One cell over seeds ``seed0`` … ``seed0 + seeds`` − 1: each seed's final modes, % HQ, reverse
    KL and CPU s and its history (``vals``, ``histories``); the times to a target are read off the
    histories (``reaches``), once the budget stage has set the target."""
    vals: dict[str, list[float]] = {"modes": [], "hq": [], "kl": [], "cpu": []}
    hists = []
    for seed, run_ in enumerate(train_seeds(make([*over, f"train.steps={steps}", f"train.seed={seed0}"]), seeds, every=every,
                                            callback=_modes, desc=label), start=seed0):  # fmt: skip
        m = modes_of(run_.trainer.G_eval, run_.dataset, seed=seed) if not run_.diverged else {}
        vals["modes"].append(m.get("modes", float("nan")))
        vals["hq"].append(100 * m.get("hq", float("nan")))
        vals["kl"].append(m.get("reverse_kl", float("nan")))
        vals["cpu"].append(run_.cpu_seconds)
        hists.append(run_.history)
    return {"vals": vals, "histories": hists}


GP_LABEL = "WGAN-GP n_D=5"
VALIDATION_SEED, VALIDATION_SEEDS = 100, 3  # the search's runs (seeds 100–102), never reported
# The budget stage: the two compared setups, papers' settings, on the validation seeds to this horizon, evaluated
# every HORIZON_EVERY; a probe (3 seeds) had Sphere S^16 R=3 still rising by ≈ 1 point of % HQ per 1,000 steps at
# 15,000 steps, and its lr ×3 variant levelling off near 80 % by 40,000.
HORIZON, HORIZON_EVERY = 40_000, 1_000


def _row(label: str, d_out: int, moments: int | str | None, cell: dict, hq: float) -> dict:
    vals = {**cell["vals"], **reaches(cell["histories"], hq)}
    return {"setup": label, "n": d_out, "R": moments if moments is not None else "—", "modes": stat(vals["modes"], 1),
            "hq": stat(vals["hq"], 1), "kl": stat(vals["kl"], 2), "cpu": stat(vals["cpu"], 1), "reach": stat(vals["reach"], 0),
            "reach_cpu": stat(vals["reach_cpu"], 1), "reach_hq": stat(vals["reach_hq"], 0),
            "reach_hq_cpu": stat(vals["reach_hq_cpu"], 1)}  # fmt: skip


def _reach_claims(ctx: Context, sph: dict, gp: dict, sphere_label: str, steps: int, what_rows: str, hq: float) -> list[str]:
    """Sphere GAN vs WGAN-GP to each target, in CPU s and in G steps; a seed that never reaches a
    target is censored at its budget (the steps, its CPU s), not dropped."""
    budgets = (list(sph["cpu"].values), list(gp["cpu"].values))
    claims = []
    for what, key in (("8 modes", "reach"), (f"{hq:g} % HQ", "reach_hq")):
        claims += [
            ctx.claim(f"{what_rows}: training CPU s of Sphere GAN ({sphere_label}) to {what} < WGAN-GP's", sph[f"{key}_cpu"],
                      gp[f"{key}_cpu"], "less", budget=budgets),
            ctx.claim(f"{what_rows}: G steps of Sphere GAN ({sphere_label}) to {what} < WGAN-GP's", sph[key], gp[key], "less",
                      budget=steps),
        ]  # fmt: skip
    return claims


@experiment("sphere", seeds=10, order=4)
def run(ctx: Context) -> None:
    """Sphere GAN: moments R ∈ {1, 3, 5} × sphere dimension on ring8; cost per step and to a target vs WGAN-GP.

    Full: first the budget stage: the two compared setups (Sphere S¹⁶ R = 3, WGAN-GP), papers'
    settings, on validation seeds 100–102 for 40,000 G steps evaluated every 1,000; the budget is
    the first evaluated step at which the slower of the two comes within 10 % of its mean % HQ
    over the last quarter (``tables.budget_from_histories``; a curve still rising there is flagged).
    Then at that budget, evaluated every 250: R ∈ {1, 3, 5} × n ∈ {2, 16, 128} and WGAN-GP
    (n_D = 5) on the same nets, 10 seeds (one group per cell, two cells at a time: one worker
    process per core, each kept in ``cells/``); timing over 150 interleaved steps, Sphere GAN
    with WGAN-GP's D and with the paper's S¹⁰²⁴ head, in this process. The two compared setups
    also get the same five-point search (``tuning.grid``) on validation seeds 100–102 at the
    budget, and the chosen settings train on the test seeds: the claims are read with the
    papers' settings and with the tuned ones. Quick: R ∈ {1, 3, 5} on S¹⁶, 200 steps, 1 seed,
    the budget stage at a 400-step horizon (shown, not applied); timing over 15 interleaved
    steps. The measured time is in the report. Claims: steps and CPU seconds to a target
    quality (8 of 8 modes; % HQ at 90 % of the lower of the two budget-stage plateaus,
    ``hq_target``), paired over seeds.
    """
    every = ctx.size(100, 250)
    horizon, horizon_every = ctx.size((400, 100), (HORIZON, HORIZON_EVERY))
    dims = ctx.size((16,), (2, 16, 128))
    cells = [(f"Sphere S^{d} R={m}", [*POINTS_BASE, "data.name=ring8", "game.objective=sphere", f"game.params={{moments: {m}}}",
                                      f"model.d_out={d}", *SPHERE_OPT], d, m) for d in dims for m in (1, 3, 5)]  # fmt: skip
    # WGAN-GP on the 2-D ring with its authors' toy settings (λ = 0.1: the image setting λ = 10 does not learn the ring)
    toy_gp = OBJECTIVES.get("wasserstein").benchmark[0]
    cells.append((GP_LABEL, [*POINTS_BASE, "data.name=ring8", "game.objective=wasserstein", *toy_gp], 1, None))
    sphere_label = f"Sphere S^{16 if 16 in dims else dims[0]} R=3"
    # the two setups the claims compare get the same five-point search on validation seeds (tuning.grid): learning rate
    # ×3 / ×0.3, and D's regularisation ×10 / ×0.1 (WGAN-GP's λ) or, for Sphere GAN, which has none, D steps ×2 / ×5
    over_of = {label: over for label, over, _, _ in cells}
    knobs = {sphere_label: ("sphere", None), GP_LABEL: ("wasserstein", ("game.penalties", "lam", 1))}
    val_seeds = ctx.size(1, VALIDATION_SEEDS)
    # the budget rule (as modes'): long validation runs of the two compared setups; every run below trains to the first
    # evaluated step at which the slower of the two is within 10 % of its % HQ over the horizon's last quarter
    long_jobs = [(label, tuple(over_of[label]), horizon, val_seeds, horizon_every, VALIDATION_SEED) for label in knobs]
    long = dict(zip(long_jobs, ctx.map(sphere_cell, long_jobs, desc="sphere: budget")))
    rules = {job[0]: budget_from_histories(long[job]["histories"], "hq") for job in long_jobs}
    ruled = max(horizon if r["budget"] is None else r["budget"] for r in rules.values())
    steps = ctx.size(200, ruled)  # quick: a fixed short budget (the stage still runs, at a 400-step horizon)
    target = hq_target([r["plateau"] for r in rules.values()])
    grids = {label: tuning.grid(obj, over_of[label], make([*over_of[label], f"train.steps={steps}"]), knob)
             for label, (obj, knob) in knobs.items()}  # fmt: skip
    val_jobs = [(label, tuple(over_of[label]) + extra, steps, val_seeds, every, VALIDATION_SEED)
                for label, points in grids.items() for _, extra in points]  # fmt: skip
    jobs = [(label, tuple(over), steps, ctx.seeds, every) for label, over, _, _ in cells]
    results = ctx.map(sphere_cell, jobs + val_jobs, desc="sphere: ablation + validation")
    done = dict(zip(jobs + val_jobs, results, strict=True))
    rows, curves = [], {}
    for (label, _, d_out, moments), job in zip(cells, jobs, strict=True):
        curves[label] = done[job]["histories"]
        rows.append(_row(label, d_out, moments, done[job], target))
    val_rows, chosen = [], {}
    for label, points in grids.items():
        found = [done[(label, tuple(over_of[label]) + extra, steps, val_seeds, every, VALIDATION_SEED)] for _, extra in points]
        pick = tuning.choose([(float(np.mean(c["vals"]["modes"])), float(np.mean(c["vals"]["hq"]))) for c in found])
        chosen[label] = points[pick]
        val_rows += [{"setup": label, "setting": name, "modes": stat(c["vals"]["modes"], 1), "hq": stat(c["vals"]["hq"], 1),
                      "chosen": "✓" if i == pick else ""} for i, ((name, _), c) in enumerate(zip(points, found))]  # fmt: skip
    tuned_jobs = {label: (label, tuple(over_of[label]) + extra, steps, ctx.seeds, every) for label, (_, extra) in chosen.items() if extra}
    done.update(zip(tuned_jobs.values(), ctx.map(sphere_cell, list(tuned_jobs.values()), desc="sphere: tuned")))
    by = {r["setup"]: r for r in rows}
    tuned_rows, tuned_curves = [], {}
    for label, (name, _) in chosen.items():
        job = tuned_jobs.get(label) or next(j for j in jobs if j[0] == label)
        base = by[label]
        tuned_rows.append({**_row(label, base["n"], base["R"], done[job], target), "setting": name})
        tuned_curves[label] = done[job]["histories"]
    lines = [f"{label}: {budget_text(r)}" for label, r in rules.items()]
    ctx.text(f"**Budget** (the budget rule on the validation seeds, papers' settings, {horizon:,}-step runs evaluated every "
             f"{horizon_every:,}; {tuning.seeds_text(VALIDATION_SEED, val_seeds)}): " + "; ".join(lines)
             + f". Every run below trains {steps:,} G steps" + (" (quick mode: a fixed 200)" if ctx.quick else
                                                              ", the later of the two")
             + f"; times to equal quality are read at {target:g} % HQ, {100 * NEAR:.0f} % of the lower plateau (to the point "
             "below).")  # fmt: skip
    ctx.data["budget"] = {label: dict(r) for label, r in rules.items()}
    ctx.data["steps"] = steps
    ctx.data["hq_target"] = target
    series = []
    for i, job in enumerate(long_jobs):
        xs, mean, lo, hi = band_over_seeds(long[job]["histories"], "hq")
        series.append(Series(f"{job[0]}, papers' settings", xs, mean, lo, hi, colour=f"C{i}"))
    save_panels([Panel(series, f"ring8, validation seeds: mean and 95 % band over {val_seeds} seed(s)", "G step", "% HQ",
                       ylim=(0, 100), vline=steps)],
                ctx.figure("budget", f"The budget stage: % HQ of the compared setups along {horizon:,} steps (dotted line: the "
                           f"budget, {steps:,} steps)"), size=(7, 4))  # fmt: skip
    columns = [("setup", "setup"), ("n", "sphere Sⁿ (D outputs Rⁿ)"), ("R", "moments R"), ("modes", "modes of 8"), ("hq", "% HQ"),
               ("kl", "reverse KL"), ("cpu", "train CPU s"), ("reach", "first step with 8 modes"), ("reach_cpu", "CPU s to 8 modes"),
               ("reach_hq", f"first step with ≥ {target:g} % HQ"), ("reach_hq_cpu", f"CPU s to {target:g} % HQ")]  # fmt: skip
    ctx.table("ablation", rows, columns,
              title=f"ring8, {steps} G steps, EMA generator, mean ± std [95 % interval] over {ctx.seeds} seed(s)",
              notes="Sphere GAN: Adam 1e-4 β = (0, 0.9), Xavier init, n_D = 1, no penalty (configs/sphere.yaml). WGAN-GP: its "
              "authors' toy settings, λ = 0.1, n_D = 5, Adam 1e-4 β = (0.5, 0.9) (Gulrajani 2017, gan_toy.py). MLP width 64, "
              "batch 256, z ∈ R²; evaluated every "
              f"{every} steps; \"n/a\" = never reached, a count in parentheses = seeds that never reached it.")  # fmt: skip
    ctx.table("validation", val_rows, [("setup", "setup"), ("setting", "setting"), ("modes", "modes of 8"), ("hq", "% HQ"),
                                       ("chosen", "chosen")],
              title=f"The search: five settings of each compared setup on the validation runs "
              f"({tuning.seeds_text(VALIDATION_SEED, val_seeds)}, never reported; {steps} steps)",
              notes="Rule (tuning.choose, as in modes): the best mean % HQ among the settings within 0.5 modes of the most modes "
              "covered; ties go to the papers' settings (\"declared\"). Learning rate of both nets ×3 and ×0.3; WGAN-GP's λ ×10 "
              "and ×0.1; Sphere GAN has no regulariser, so its D steps per G step ×2 and ×5.")  # fmt: skip
    ctx.table("tuned", tuned_rows, [*columns[:1], ("setting", "chosen setting"), *columns[1:]],
              title=f"Tuned: the setting chosen on the validation runs, trained on the same {ctx.seeds} test seeds",
              notes="\"declared\": the search kept the papers' settings, and the row repeats the ablation's.")  # fmt: skip
    panels = []
    for key, ylabel in (("hq", "% HQ"), ("modes", "modes of 8")):
        series = []
        for i, label in enumerate(("Sphere S^16 R=3", "Sphere S^16 R=1", "Sphere S^16 R=5", GP_LABEL)):
            if label not in curves:
                continue
            xs, mean, lo, hi = band_over_seeds(curves[label], key)
            series.append(Series(label, xs, mean, lo, hi, colour=f"C{i}"))
        panels.append(Panel(series, f"ring8, mean and 95 % band over {ctx.seeds} seed(s)", "G step", ylabel))
    save_panels(panels, ctx.figure("curves", "Sphere GAN (S¹⁶, R = 1, 3, 5) and WGAN-GP along training on ring8 (EMA G)"),
                size=(5.5, 3.8))  # fmt: skip
    panels = []
    for key, ylabel in (("hq", "% HQ"), ("modes", "modes of 8")):
        series = []
        for i, label in enumerate(chosen):
            for which, hist, style in (("papers'", curves[label], "--"), (f"tuned: {chosen[label][0]}", tuned_curves[label], "-")):
                xs, mean, lo, hi = band_over_seeds(hist, key)
                series.append(Series(f"{label}, {which}", xs, mean, lo if style == "-" else None, hi if style == "-" else None,
                                     colour=f"C{i}", style=style))  # fmt: skip
        panels.append(Panel(series, f"ring8, mean (band: 95 % over {ctx.seeds} seed(s), tuned)", "G step", ylabel))
    save_panels(panels, ctx.figure("curves_tuned", "The compared setups along training, papers' settings (dashed) and the "
                                   "setting chosen on validation runs (solid, with its band)"), size=(5.5, 3.8))  # fmt: skip
    tby = {r["setup"]: r for r in tuned_rows}
    reach_claims = _reach_claims(ctx, by[sphere_label], by[GP_LABEL], sphere_label, steps, "papers' settings", target)
    tuned_claims = _reach_claims(ctx, tby[sphere_label], tby[GP_LABEL], sphere_label, steps, "tuned", target)
    for label, (name, extra) in chosen.items():
        if extra:
            tuned_claims.append(ctx.claim(f"% HQ of {label}, tuned ({name}) > papers' settings", tby[label]["hq"], by[label]["hq"],
                                          "greater"))  # fmt: skip
    d_out = ctx.size(128, 1024)
    trows = timing(ctx.size(15, 150), d_out)
    ctx.table("timing", trows, [("setup", "setup (digits, DCGAN, batch 64)"), ("ms", "median CPU ms / G step"),
                                ("mean_ms", "mean CPU ms / G step"), ("ratio", "ratio to WGAN-GP n_D=1")],
              title=f"Cost per G step, measured interleaved in one process (Sphere GAN on S^{d_out})",
              notes="One step of each setup in turn, one torch thread, process CPU time; the ratio is of medians.")  # fmt: skip
    wide, same, gp1, gp5 = (r["ms"] for r in trows)
    r = same / gp1
    ctx.text(f"**Verdict** (seed 002: no gradient penalty, so cheaper than WGAN-GP): with the same D, a Sphere GAN step costs "
             f"{r:.2f}× a WGAN-GP step at equal n_D = 1 and {same / gp5:.2f}× one with the paper's n_D = 5 — "
             + ("agrees" if r < 1 else "does not agree")
             + f". The paper's S^{d_out} head is a separate factor: ×{wide / same:.2f} on this D ({wide / gp1:.2f}× WGAN-GP). "
             f"At equal quality on ring8 (8 modes; {target:g} % HQ), paired over seeds (a seed that never reaches the target counts "
             "as later than any that does within its budget): "
             + "; ".join(reach_claims) + ".")  # fmt: skip
    ctx.text("**Verdict, tuned settings** (each setup's setting chosen on validation runs, table \"tuned\"): " + "; ".join(tuned_claims)
             + ".")
    ctx.data["ratio"] = r
    ctx.data["chosen"] = {label: {"setting": name, "overrides": list(extra)} for label, (name, extra) in chosen.items()}
    ctx.data["head_factor"] = wide / same
