"""The table of seed 004: the Dirac-GAN verdict of each classic game, then of every other
registered objective, with eigenvalues at the equilibrium, EMA, and phase portraits.

Penalty weights are set so that every time scale is O(1) on the table's horizon (t = 200):
λ = 1 for the gradient penalties (λ = 10 makes c = 0 stiff, μ ≈ −1/(2λ) and −2λ), γ = 1 for R1
(critical damping in our (γ/2)‖∇D‖² convention, see ``tests/dynamics``), L2 weight 0.1 on φ.
GAN-QP uses ‖x_f − x_r‖ ("l2" distance) as in seed 004, where the library default is L1.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ganlab.dynamics.simulate import Result, Settings, run_named
from ganlab.dynamics.verdict import CONVERGING
from ganlab.errors import GanlabError
from ganlab.game.objective import OBJECTIVES
from ganlab.serial import dumps

TABLE_SETTINGS = Settings()  # ODE to t = 200, 801 samples, ‖θ(0)‖ = ‖φ(0)‖ = 1, EMA 0.999


@dataclasses.dataclass(frozen=True)
class Case:
    """One row: a game by registry names, the Dirac D to use, and what seed 004 says."""

    label: str
    objective: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    penalties: tuple = ()
    constraints: tuple = ()
    normalise: bool = False  # D(x) = φ·x/‖φ‖
    expect: str = ""  # converges | converges_to_set | not_converges | "" (no claim)
    claim: str = ""  # seed 004's words, shortened


SEED_CASES: tuple[Case, ...] = (
    Case("non-saturating", "non_saturating", expect="not_converges", claim="θ̈ ≈ −θ/4: periodic, never converges"),
    Case("minimax", "minimax", expect="not_converges", claim="every unregularised f-GAN oscillates"),
    Case("WGAN (φ/‖φ‖)", "wasserstein", normalise=True, expect="not_converges", claim="oscillates"),
    Case("WGAN-GP c=1", "wasserstein", penalties=({"name": "gp", "lam": 1.0, "center": 1.0},),
         expect="converges_to_set", claim="ends on a circle, not at 0"),
    Case("WGAN-GP c=0", "wasserstein", penalties=({"name": "gp", "lam": 1.0, "center": 0.0},),
         expect="converges", claim="converges"),
    Case("WGAN-div (k=2, p=6)", "wasserstein", penalties=("wgan_div",), expect="converges",
         claim="zero-centred: converges"),
    Case("R1 (γ=1)", "non_saturating", penalties=({"name": "r1", "gamma": 1.0},), expect="converges",
         claim="zero-centred: converges (Mescheder 2018)"),
    Case("GAN-QP", "gan_qp", params={"distance": "l2"}, expect="not_converges", claim="oscillates"),
    Case("GAN-QP + L2 on φ", "gan_qp", params={"distance": "l2"}, penalties=({"name": "l2", "lam": 0.1},),
         expect="converges", claim="L2 on D makes it converge"),
)


def other_cases(seen: Sequence[Case] = SEED_CASES) -> list[Case]:
    """Every registered objective without a plain row above, with its defaults and no penalty."""
    plain = {c.objective for c in seen if not c.penalties and not c.constraints and not c.normalise}
    return [Case(name, name) for name in OBJECTIVES.names() if name not in plain]


def agrees(case: Case, result: Result) -> str:
    """✓ when the trajectory's verdict matches seed 004's claim, ✗ when not, '' without a claim."""
    if not case.expect:
        return ""
    v = result.verdict.label
    converging = v in CONVERGING  # slowly (a power law) is converging too: the rate is in the note
    ok = not converging if case.expect == "not_converges" else (converging if case.expect == "converges" else v == case.expect)
    return "✓" if ok else "✗"


@dataclasses.dataclass
class Row:
    case: Case
    result: Result | None  # None: not applicable
    reason: str = ""
    portrait: str = ""


def _slug(i: int, label: str) -> str:
    return f"{i:02d}_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def run_case(case: Case, settings: Settings = TABLE_SETTINGS) -> Row:
    """Simulate one case; a game the Dirac GAN cannot host becomes a row that says why."""
    try:
        result = run_named(case.objective, case.params, case.penalties, case.constraints, normalise=case.normalise,
                           settings=settings, label=case.label)
    except GanlabError as err:  # e.g. an output kind with no Dirac D
        return Row(case, None, f"not applicable: {err}")
    except (ValueError, RuntimeError) as err:  # the objective rejected the Dirac batch: say so, do not drop it
        return Row(case, None, f"not applicable: {type(err).__name__}: {str(err).splitlines()[0][:160]}")
    return Row(case, result)


def _num(v: float) -> str:
    return "—" if v != v else f"{v:.3g}"  # v != v: NaN


def _game_text(case: Case) -> str:
    parts = [case.objective + ("(" + ", ".join(f"{k}={v}" for k, v in case.params.items()) + ")" if case.params else "")]
    for p in case.penalties:
        if isinstance(p, str):
            parts.append(p)
        else:
            args = ", ".join(f"{k}={v}" for k, v in p.items() if k != "name")
            parts.append(f"{p['name']}({args})")
    if case.normalise:
        parts.append("D = φ·x/‖φ‖")
    return " + ".join(parts)


_HEADER = (
    "| case | game | eigenvalues of J at 0 | verdict θ | final ‖θ‖ | verdict EMA-θ | final ‖EMA-θ‖ | seed 004 | agrees | portrait |",
    "|---|---|---|---|---|---|---|---|---|---|",
)


def markdown(rows: Sequence[Row], settings: Settings, seconds: float, n_seed: int) -> str:
    s = settings
    lines = [
        "# Dirac GAN: seed 004's table",
        "",
        f"Real data at 0 ∈ R², generator θ ∈ R², linear D; start ‖θ(0)‖ = {s.theta0}, ‖φ(0)‖ = {s.phi0}. "
        f"Continuous dynamics (φ̇, θ̇) = −(∂L_D/∂φ, ∂L_G/∂θ) by autograd through the library's `Game`, "
        f"integrated with {s.ode_method} (rtol {s.rtol:g}) to t = {s.t_end:g}, {s.steps + 1} samples; EMA of θ "
        f"with decay {s.ema} per sample and the trainer's warm-up. Verdicts are read from the last quarter of "
        f"the path (`ganlab.dynamics.verdict`): converges = ends within {s.tol:g}·‖θ(0)‖ of 0 and not moving away, "
        "or still swinging with an envelope that decays exponentially; converges_slowly = an envelope that decays as a "
        "power law t^(−α) (α in the note); oscillates = an envelope that falls less than 10 % (an orbit).",
        "",
        *_HEADER,
    ]

    def row_text(row: Row) -> str:
        c = row.case
        if row.result is None:
            return f"| {c.label} | {_game_text(c)} | — | {row.reason} | — | — | — | {c.claim} | | |"
        r = row.result
        eig = r.spectrum.short()
        if r.spectrum.label in ("undefined", "not a fixed point") or r.spectrum.note:
            eig += f" ({r.spectrum.label})" if r.spectrum.label != "repelling" or not r.spectrum.note else " (not differentiable)"
        link = f"[png]({row.portrait})" if row.portrait else ""
        return (f"| {c.label} | {_game_text(c)} | {eig} | {r.verdict.label} | {_num(r.verdict.final)} | "
                f"{r.ema_verdict.label} | {_num(r.ema_verdict.final)} | {c.claim} | {agrees(c, r)} | {link} |")

    lines += [row_text(r) for r in rows[:n_seed]]
    lines += ["", "## Every other registered objective (defaults, no penalty)", "", *_HEADER]
    lines += [row_text(r) for r in rows[n_seed:]]
    lines += ["", "## Notes per case", ""]
    for row in rows:
        if row.result is None:
            lines.append(f"- **{row.case.label}**: {row.reason}")
            continue
        r = row.result
        extra = f"; spectrum: {r.spectrum.note}" if r.spectrum.note else ""
        how = f"; integrator: {r.path.method}"
        if r.path.message != "ok" and "not decided" not in r.verdict.note:
            how += f" ({r.path.message})"
        lines.append(f"- **{row.case.label}**: θ — {r.verdict.note}; EMA — {r.ema_verdict.note}{extra}{how}")
    lines += ["", f"Runtime: {seconds:.1f} s for {len(rows)} cases (including the portraits)."]
    return "\n".join(lines) + "\n"


def _run_and_draw(i: int, case: Case, settings: Settings, out_dir: Path | None, portraits: bool) -> Row:
    """One row, with its portrait (runs in a worker process when the table runs in parallel)."""
    import torch

    torch.set_num_threads(1)  # tiny tensors: threads only add overhead, and workers share the cores
    row = run_case(case, settings)
    if row.result is not None and out_dir is not None and portraits:
        from ganlab.dynamics.portrait import save_portrait

        rel = f"portraits/{_slug(i, case.label)}.png"
        save_portrait(row.result, out_dir / rel, title=f"{case.label}: {_game_text(case)}")
        row.portrait = rel
    return row


def run_table(out: str | Path | None = None, *, settings: Settings = TABLE_SETTINGS, portraits: bool = True,
              cases: Sequence[Case] | None = None, jobs: int | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every case; with ``out`` write table.md, table.json and portraits/*.png there.

    ``jobs`` worker processes (default: up to 2, the cores the table is budgeted for) share the
    cases. Returns {"cases": [one JSON object per case], "markdown": str, "seconds": float}.
    """
    t0 = time.perf_counter()
    seed = list(SEED_CASES) if cases is None else list(cases)
    all_cases = seed + (other_cases(seed) if cases is None else [])
    out_dir = Path(out) if out is not None else None
    jobs = max(1, min(jobs or min(2, os.cpu_count() or 1), len(all_cases)))

    def report(i: int, row: Row) -> None:
        if progress:
            what = row.result.verdict.label if row.result else row.reason
            progress(f"[{i}/{len(all_cases)}] {row.case.label}: {what}")

    rows: list[Row]
    if jobs == 1:
        rows = []
        for i, case in enumerate(all_cases, 1):
            rows.append(_run_and_draw(i, case, settings, out_dir, portraits))
            report(i, rows[-1])
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn, not fork: forking a process that has started torch's thread pools can deadlock
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_run_and_draw, i, c, settings, out_dir, portraits): i for i, c in enumerate(all_cases, 1)}
            done: dict[int, Row] = {}
            for fut in as_completed(futures):
                done[futures[fut]] = fut.result()
                report(futures[fut], done[futures[fut]])
        rows = [done[i] for i in range(1, len(all_cases) + 1)]
    seconds = time.perf_counter() - t0
    records = []
    for row in rows:
        if row.result is None:
            rec = {"case": row.case.label, "objective": row.case.objective, "penalties": list(row.case.penalties),
                   "method": "ode", "verdict": "not_applicable", "reason": row.reason}
        else:
            rec = row.result.to_json()
            rec["portrait"] = row.portrait
        rec["seed_004"] = row.case.claim
        rec["agrees"] = agrees(row.case, row.result) if row.result else ""
        records.append(rec)
    text = markdown(rows, settings, seconds, len(seed))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "table.md").write_text(text, encoding="utf-8")
        (out_dir / "table.json").write_text(dumps({"cases": records, "seconds": seconds}, indent=1, ascii_only=False), encoding="utf-8")
    return {"cases": records, "markdown": text, "seconds": seconds}
