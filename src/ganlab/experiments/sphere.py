"""Sphere GAN ablation over moments R and sphere dimension, and its cost per step vs WGAN-GP.

Seed 002 / Park & Kwon 2019 (REFERENCES §1.1): Sphere GAN matches R moments of the geodesic
distance to the north pole of Sⁿ and needs no gradient penalty, so a step costs less than a
WGAN-GP step (no double backward); the paper uses R = 3 (R = 5 for ConvNets) on S¹⁰²⁴.
"""

from __future__ import annotations

import time

import numpy as np

from ganlab.api import in_memory
from ganlab.experiments.base import Context, experiment
from ganlab.experiments.tables import stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_seeds

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


@experiment("sphere", seeds=10, order=4)
def run(ctx: Context) -> None:
    """Sphere GAN: moments R ∈ {1, 3, 5} × sphere dimension on ring8; CPU time per step vs WGAN-GP.

    Quick: R ∈ {1, 3, 5} on S¹⁶, 200 steps, 1 seed; timing over 15 interleaved steps. Full:
    R ∈ {1, 3, 5} × n ∈ {2, 16, 128}, 1,000 steps, 10 seeds (one group per cell); timing over 150
    interleaved steps, Sphere GAN with WGAN-GP's D and with the paper's S¹⁰²⁴ head: 275 s CPU (one
    thread, shared 2-core machine); quick ≈ 7 s CPU.
    """
    steps = ctx.size(200, 1000)
    dims = ctx.size((16,), (2, 16, 128))
    rows = []
    for d_out in dims:
        for moments in (1, 3, 5):
            vals: dict[str, list[float]] = {"modes": [], "hq": [], "kl": [], "cpu": []}
            cfg = make([*POINTS_BASE, "data.name=ring8", "game.objective=sphere", f"game.params={{moments: {moments}}}",
                        f"model.d_out={d_out}", f"train.steps={steps}", "train.seed=0", *SPHERE_OPT])  # fmt: skip
            for seed, run_ in enumerate(train_seeds(cfg, ctx.seeds, desc=f"sphere R={moments} n={d_out}")):
                m = modes_of(run_.trainer.G_eval, run_.dataset, seed=seed) if not run_.diverged else {}
                vals["modes"].append(m.get("modes", float("nan")))
                vals["hq"].append(100 * m.get("hq", float("nan")))
                vals["kl"].append(m.get("reverse_kl", float("nan")))
                vals["cpu"].append(run_.cpu_seconds)
            rows.append({"n": d_out, "R": moments, "modes": stat(vals["modes"], 1), "hq": stat(vals["hq"], 1),
                         "kl": stat(vals["kl"], 2), "cpu": stat(vals["cpu"], 1)})  # fmt: skip
    ctx.table("ablation", rows, [("n", "sphere Sⁿ (D outputs Rⁿ)"), ("R", "moments R"), ("modes", "modes of 8"), ("hq", "% HQ"),
                                 ("kl", "reverse KL"), ("cpu", "train CPU s")],
              title=f"ring8, {steps} G steps, EMA generator, mean ± std over {ctx.seeds} seed(s)",
              notes="Adam 1e-4 β = (0, 0.9), Xavier init, n_D = 1, no penalty (configs/sphere.yaml); "
              "MLP width 64, batch 256, z ∈ R².")  # fmt: skip
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
             + f". The paper's S^{d_out} head is a separate factor: ×{wide / same:.2f} on this D ({wide / gp1:.2f}× WGAN-GP).")  # fmt: skip
    ctx.data["ratio"] = r
    ctx.data["head_factor"] = wide / same
