"""Dirac GAN table of seed 004 (MISSION §7.1): a thin wrapper of ``ganlab.dynamics.table``.

The dynamics package owns the simulation, the verdicts and the portraits; this module only
runs it at the experiment's size and files its output like every other experiment.
"""

from __future__ import annotations

import dataclasses

from ganlab.dynamics.simulate import Settings
from ganlab.experiments.base import Context, experiment


@experiment("dirac", seeds=1, order=1)
def run(ctx: Context) -> None:
    """Dirac GAN: does each game converge, orbit or end on a set? Seed 004's cases, then every objective.

    Claims (seed 004): the non-saturating GAN and every unregularised f-GAN orbit; WGAN with
    normalised φ orbits; WGAN-GP with c = 1 ends on a circle, with c = 0 (and WGAN-div, R1) it
    converges; GAN-QP orbits and converges with L2 on φ; the EMA of an orbit sits near 0.
    Quick: seed 004's nine cases on a shorter horizon (t = 50), no portraits. Full: those and
    every other registered objective to t = 200, with phase portraits, and every θ that converges
    slowly (a power-law envelope) again to t = 2,000, where its exponent must hold: 101 s CPU (one
    thread, shared 2-core machine) before the long-horizon runs; quick ≈ 12 s CPU. Deterministic:
    --seeds is ignored.
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
    if not ctx.quick:
        long_horizon(ctx, cases, settings)
    judged = [c for c in cases if c.get("agrees")]
    ctx.data["agreement"] = {c["case"]: c["agrees"] for c in judged}
    ctx.data["dynamics_seconds"] = result["seconds"]


def long_horizon(ctx: Context, cases: list[dict], settings: Settings, factor: int = 10) -> None:
    """Each case whose θ converges slowly, integrated ``factor``× longer: a power law keeps its
    exponent over a decade of time, an exponential would read as a rising "exponent"."""
    from ganlab.dynamics.table import SEED_CASES, other_cases, run_case

    slow = [c for c in cases if c["verdict"] == "converges_slowly"]
    if not slow:
        return
    known = {k.label: k for k in (*SEED_CASES, *other_cases())}
    longer = dataclasses.replace(settings, steps=settings.steps * factor)
    rows = []
    for c in slow:
        row = run_case(known[c["case"]], longer)
        v = row.result.verdict if row.result else None
        rows.append({"case": c["case"], "short": f"{c['verdict']}, α = {c.get('decay_rate', float('nan')):.3g} (t ≤ {settings.t_end:g})",
                     "long": f"{v.label}, α = {v.rate:.3g}" if v and v.decay == "power law" else (v.label if v else row.reason),
                     "final": v.final if v else float("nan")})  # fmt: skip
    ctx.table("long_horizon", rows, [("case", "case"), ("short", "table horizon"), ("long", f"t ≤ {longer.t_end:g}"),
                                     ("final", "final ‖θ‖")],
              title=f"Slow convergence checked over a decade: the envelope's power-law exponent α at t ≤ {settings.t_end:g} "
              f"and at t ≤ {longer.t_end:g}")  # fmt: skip
