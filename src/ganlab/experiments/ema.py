"""Generator weight EMA (seed 004): quality of the raw G and of its averages on the same runs.

Seed 004: GAN training oscillates around the equilibrium; the exponential moving average of
the weights sits near the centre of the orbit, so sampling from it gives better samples.
Each run trains once and keeps three generators: the raw G, the trainer's EMA (train.ema =
0.999) and a second average with decay 0.9999 (``ganlab.train.ema.EMA``), all scored with
the same samples. Note the trainer's warm-up β_t = min(β, (1 + t)/(10 + t)): both averages
use β_t = (1 + t)/(10 + t) until step ≈ 9,000, so they can differ only in longer runs.
"""

from __future__ import annotations

import numpy as np

from ganlab.experiments.base import Context, experiment
from ganlab.experiments.tables import stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_seeds
from ganlab.plots import Panel, Series, save_panels

SETUPS = {
    "non-saturating, no penalty": ("game.objective=non_saturating",),
    "non-saturating + R1 γ=1": ("game.objective=non_saturating", "game.penalties=[{name: r1, gamma: 1}]"),
}
GENERATORS = ("raw G", "EMA 0.999", "EMA 0.9999")


def _measure(run, step: int) -> dict:  # noqa: ANN001
    gens = {"raw G": run.trainer.G, "EMA 0.999": run.trainer.G_eval, "EMA 0.9999": run.extra_ema[0.9999].model}
    out = {}
    for name, G in gens.items():
        m = modes_of(G, run.dataset, seed=0)  # same z for all three generators
        out[name] = {"modes": m["modes"], "hq": 100 * m["hq"], "kl": m["reverse_kl"]}
    return out


def ema_cell(label: str, steps: int, seeds: int, every: int) -> list[list[dict]]:
    """Each seed's history of one setup: modes, % HQ and reverse KL of the three generators every ``every`` steps."""
    cfg = make([*POINTS_BASE, "data.name=ring8", f"train.steps={steps}", "train.seed=0", "train.ema=0.999", *SETUPS[label]])
    return [run_.history for run_ in train_seeds(cfg, seeds, every=every, callback=_measure, extra_ema=(0.9999,), desc=f"ema {label}")]


@experiment("ema", seeds=10, order=8)
def run(ctx: Context) -> None:
    """Raw G vs EMA 0.999 vs EMA 0.9999 of the same runs on ring8 (modes, % HQ, reverse KL).

    Quick: no penalty only, 300 G steps, 1 seed. Full: both setups, 10,000 G steps (past the
    warm-up, so that the two decays differ), evaluated every 1,000 steps, 10 seeds trained as one
    group per setup, the two setups side by side (one worker process per core, each kept in
    ``cells/``); the measured CPU time is in the report. Claims: each
    average vs the raw G, paired over seeds (``stats.compare``).
    """
    steps, every = ctx.size(300, 10_000), ctx.size(100, 1000)
    setups = dict(list(SETUPS.items())[: ctx.size(1, len(SETUPS))])
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
        for i, g in enumerate(GENERATORS):
            hq = np.array([[r[g]["hq"] for r in h[:n]] for h in per_seed])
            band = hq.std(0, ddof=1) if len(hq) > 1 else np.zeros(n)  # ± one std over seeds
            series.append(Series(g, xs, hq.mean(0), lo=hq.mean(0) - band, hi=hq.mean(0) + band, style="-" if i < 2 else "--"))
        panels.append(Panel(series, label, "generator step", "% high-quality samples"))
    save_panels(panels, ctx.figure("ema_hq", f"% HQ along training of the raw G and its two averages (mean ± std of {ctx.seeds} seeds)"),
                size=(6, 4), dpi=85)  # fmt: skip
    verdicts = []
    for label in setups:
        raw = next(r for r in rows if r["setup"] == label and r["generator"] == "raw G")["hq"]
        ema = next(r for r in rows if r["setup"] == label and r["generator"] == "EMA 0.999")["hq"]
        slow = next(r for r in rows if r["setup"] == label and r["generator"] == "EMA 0.9999")["hq"]
        verdicts.append(ctx.claim(f"{label}: % HQ of EMA 0.999 ({ema.mean:.1f}) > raw G ({raw.mean:.1f})", ema, raw, "greater"))
        verdicts.append(ctx.claim(f"{label}: % HQ of EMA 0.9999 ({slow.mean:.1f}) > raw G ({raw.mean:.1f})", slow, raw, "greater"))
    ctx.text("**Verdict** (seed 004: the EMA sits near the equilibrium, so it samples better; paired over seeds): "
             + "; ".join(verdicts) + ".")
    ctx.data["curves"] = curves
