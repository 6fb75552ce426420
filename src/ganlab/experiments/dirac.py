"""Dirac GAN table of seed 004 (MISSION §7.1): a thin wrapper of ``ganlab.dynamics.table``.

The dynamics package owns the simulation, the verdicts and the portraits; this module only
runs it at the experiment's size and files its output like every other experiment.
"""

from __future__ import annotations

import dataclasses

from ganlab.experiments.base import Context, experiment


@experiment("dirac", seeds=1, order=1)
def run(ctx: Context) -> None:
    """Dirac GAN: does each game converge, orbit or end on a set? Seed 004's cases, then every objective.

    Claims (seed 004): the non-saturating GAN and every unregularised f-GAN orbit; WGAN with
    normalised φ orbits; WGAN-GP with c = 1 ends on a circle, with c = 0 (and WGAN-div, R1) it
    converges; GAN-QP orbits and converges with L2 on φ; the EMA of an orbit sits near 0.
    Quick: seed 004's nine cases on a shorter horizon (t = 50), no portraits. Full: those and
    every other registered objective to t = 200, with phase portraits: 101 s CPU (one thread,
    shared 2-core machine); quick ≈ 12 s CPU. Deterministic: --seeds is ignored.
    """
    from ganlab.dynamics.table import SEED_CASES, TABLE_SETTINGS, run_table

    settings = TABLE_SETTINGS if not ctx.quick else dataclasses.replace(TABLE_SETTINGS, steps=200)
    # jobs=1: the experiment is timed as one process; the table's own parallelism is for its CLI
    result = run_table(ctx.out, settings=settings, portraits=not ctx.quick, cases=SEED_CASES if ctx.quick else None, jobs=1)
    cases = result["cases"]
    rows = [{"case": c["case"], "verdict": c["verdict"], "ema_verdict": c.get("ema_verdict", ""), "seed_004": c.get("seed_004", ""),
             "agrees": c.get("agrees", ""), "final_theta_norm": c.get("final_theta_norm"), "spectrum": c.get("spectrum", "")}
            for c in cases]  # fmt: skip
    ctx.table("verdicts", rows, [("case", "case"), ("verdict", "θ verdict"), ("ema_verdict", "EMA verdict"),
                                 ("final_theta_norm", "final ‖θ‖"), ("spectrum", "spectrum at 0"), ("seed_004", "seed 004 says"),
                                 ("agrees", "agrees")],
              title="Summary (full table with eigenvalues below and in table.md)")  # fmt: skip
    body = result["markdown"].replace("# Dirac GAN: seed 004's table", "### Dirac GAN table (ganlab.dynamics)")
    ctx.text(body)
    judged = [c for c in cases if c.get("agrees")]
    ctx.data["agreement"] = {c["case"]: c["agrees"] for c in judged}
    ctx.data["dynamics_seconds"] = result["seconds"]
