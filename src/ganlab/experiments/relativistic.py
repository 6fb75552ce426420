"""Relativistic GANs vs the standard GAN, and WGAN-div vs WGAN-GP (MISSION §7.5).

Claims (seed 003 / Jolicoeur-Martineau 2019, REFERENCES §1.3; Wu et al. 2018, §1.2): a
relativistic discriminator (RSGAN, RaSGAN) trains more stably and reaches better samples than
the standard non-saturating GAN (SGAN); RaSGAN-GP with n_D = 1 beats WGAN-GP (n_D = 5) in
wall-clock; WGAN-div (zero-centred k‖∇D‖^p) does at least as well as WGAN-GP. Measured here on
ring8 by mode coverage of the raw G along training, against G steps and CPU seconds.
"""

from __future__ import annotations

import numpy as np

from ganlab.experiments.base import Context, experiment
from ganlab.experiments.parallel import map_cells
from ganlab.experiments.tables import band_over_seeds, first_reached, stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_seeds
from ganlab.game import OBJECTIVES
from ganlab.plots import Panel, Series, save_panels
from ganlab.stats import describe
from ganlab.sweep.executors import cores

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


def _measure(run, step: int) -> dict:  # noqa: ANN001
    m = modes_of(run.trainer.G, run.dataset, seed=0)
    return {"modes": m["modes"], "hq": 100 * m["hq"], "kl": m["reverse_kl"]}


def setup_cell(label: str, steps: int, seeds: int, every: int) -> list[list[dict]]:
    """Each seed's history (modes, % HQ and reverse KL of the raw G every ``every`` steps) of one setup."""
    cfg = make([*POINTS_BASE, "data.name=ring8", f"train.steps={steps}", "train.seed=0", "train.ema=null", *SETUPS[label][1]])
    return [run_.history for run_ in train_seeds(cfg, seeds, every=every, callback=_measure, desc=label)]


@experiment("relativistic", seeds=10, order=5)
def run(ctx: Context) -> None:
    """RSGAN / RaSGAN vs SGAN and WGAN-div vs WGAN-GP: ring8 mode coverage against steps and CPU time.

    Quick: 200 G steps, evaluated every 50, 1 seed. Full: 3,000 G steps, evaluated every 200,
    10 seeds (one group per setup, two groups at a time: one worker process per core, each kept
    in ``cells/`` as it ends). The measured time is in the report. Claims paired over seeds
    (``stats.compare``).
    """
    steps, every = ctx.size(200, 3000), ctx.size(50, 200)
    cells = map_cells(setup_cell, [(label, steps, ctx.seeds, every) for label in SETUPS], folder=ctx.out,
                      workers=ctx.size(1, cores()), desc="relativistic")  # fmt: skip
    histories: dict[str, list[list[dict]]] = {}
    rows = []
    for (label, (group, _)), per_seed in zip(SETUPS.items(), cells):
        histories[label] = per_seed
        final = [h[-1] for h in per_seed]
        # first evaluation at which all 8 modes are covered (NaN when never)
        reach = [first_reached(h, "step", lambda r: r["modes"] >= 8) for h in per_seed]
        reach_cpu = [first_reached(h, "cpu", lambda r: r["modes"] >= 8) for h in per_seed]
        ms_per_step = [1000 * h[-1]["cpu"] / max(h[-1]["step"], 1) for h in per_seed]
        # stability: how much the HQ share moves between evaluations in the second half
        wobble = [float(np.mean(np.abs(np.diff([r["hq"] for r in h if r["step"] >= steps // 2])))) for h in per_seed]
        rows.append({
            "group": group, "setup": label, "modes": stat([f["modes"] for f in final], 1), "hq": stat([f["hq"] for f in final], 1),
            "kl": stat([f["kl"] for f in final], 2), "reach": stat(reach, 0), "reach_cpu": stat(reach_cpu, 1),
            "wobble": stat(wobble, 1), "ms": stat(ms_per_step, 2), "cpu": stat([h[-1]["cpu"] for h in per_seed], 1),
        })  # fmt: skip
    ctx.table("relativistic", rows, [
        ("group", "group"), ("setup", "setup"), ("modes", "modes of 8 (final)"), ("hq", "% HQ (final)"), ("kl", "reverse KL (final)"),
        ("reach", "first step with 8 modes"), ("reach_cpu", "CPU s to 8 modes"), ("wobble", "mean |Δ %HQ| between evals, 2nd half"),
        ("ms", "CPU ms / G step"),
    ], title=f"ring8, {steps} G steps, raw G evaluated every {every} steps, mean ± std over {ctx.seeds} seed(s)",
        notes="Group A: no penalty, Adam 2e-4 β = (0.5, 0.999), n_D = 1 (the loss alone). Group B: gradient penalties, Adam 1e-4 "
        "β = (0, 0.9); WGAN-GP λ = 10, WGAN-div k = 2, p = 6 on interpolates, RaSGAN-GP λ = 10; WGAN-GP also with its authors' toy "
        "settings (gan_toy.py: λ = 0.1, β = (0.5, 0.9)). MLP width 64, batch 256, z ∈ R². "
        "\"n/a\" = never reached; a count in parentheses = seeds that never reached it.")  # fmt: skip

    panels = {(g, axis): Panel([], xlabel=axis, ylabel="% high-quality samples") for g in "AB"
              for axis in ("generator step", "training CPU seconds")}  # fmt: skip
    for i, (label, per_seed) in enumerate(histories.items()):
        group = SETUPS[label][0]
        xs, mean, lo, hi = band_over_seeds(per_seed, "hq")
        _, cpu, _, _ = band_over_seeds(per_seed, "cpu")
        panels[(group, "generator step")].series.append(Series(label, xs, mean, lo, hi, colour=f"C{i}"))
        panels[(group, "training CPU seconds")].series.append(Series(label, cpu, mean, colour=f"C{i}"))
    save_panels(list(panels.values()), ctx.figure("hq_vs_time", f"ring8 % high-quality samples (mean of {ctx.seeds} seeds; 95 % "
                "band on the left) against G steps (left) and training CPU seconds (right); top: no penalty, bottom: gradient "
                "penalties"), cols=2,
                size=(5.5, 3.5), dpi=85)  # fmt: skip
    base = np.array([[r["hq"] for r in h] for h in histories["SGAN (non-saturating)"]])
    q = int(np.searchsorted([r["step"] for r in histories["SGAN (non-saturating)"][0]], 3 * steps // 4))
    late, end = describe(list(base[:, q]), method="bootstrap"), describe(list(base[:, -1]), method="bootstrap")
    if late["ci_low"] is not None:
        ctx.text(f"**Budget.** {steps:,} G steps. The baseline SGAN's % HQ at step "
                 f"{histories['SGAN (non-saturating)'][0][q]['step']:,}: {late['mean']:.1f} [{late['ci_low']:.1f}, {late['ci_high']:.1f}]; "
                 f"at the end: {end['mean']:.1f} [{end['ci_low']:.1f}, {end['ci_high']:.1f}] — "
                 + ("a plateau (the intervals overlap)." if end["ci_low"] <= late["ci_high"] else "still rising: read the "
                    "verdicts as at this budget.") + " These are the papers' settings (Adam 2e-4 β = (0.5, 0.999) for group A); "
                 "no per-method tuning was run.")  # fmt: skip
    by = {r["setup"]: r for r in rows}
    base = by["SGAN (non-saturating)"]
    sgan = base["hq"]
    claims = [ctx.claim(f"final % HQ of {k} ({by[k]['hq'].mean:.1f}) > SGAN ({sgan.mean:.1f})", by[k]["hq"], sgan, "greater")
              for k in ("RSGAN", "RaSGAN")]  # fmt: skip
    for k in ("RSGAN", "RaSGAN"):  # convergence speed: a seed that never covers 8 modes is censored at its budget
        claims.append(ctx.claim(f"G steps of {k} to 8 modes < SGAN's", by[k]["reach"], base["reach"], "less", budget=steps))
        claims.append(ctx.claim(f"training CPU s of {k} to 8 modes < SGAN's", by[k]["reach_cpu"], base["reach_cpu"], "less",
                                budget=(list(by[k]["cpu"].values), list(base["cpu"].values))))  # fmt: skip
    div = by["WGAN-div (k=2, p=6, n_D=5)"]["hq"]
    for k in ("WGAN-GP (λ=10, n_D=5)", "WGAN-GP (λ=0.1 toy, n_D=5)"):
        gp = by[k]["hq"]
        claims.append(ctx.claim(f"final % HQ of WGAN-div ({div.mean:.1f}) > {k} ({gp.mean:.1f})", div, gp, "greater"))
    ctx.text("**Verdict** (seed 003: relativistic GANs beat SGAN; WGAN-div beats WGAN-GP; paired over seeds): "
             + "; ".join(claims) + ".")
    ctx.data["histories"] = histories
