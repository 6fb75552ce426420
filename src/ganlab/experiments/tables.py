"""Tables of results: one writer (markdown + CSV) and one convention for mean ± std.

Convention, stated once: a ``Stat`` over seeds reports the mean, the *sample* standard
deviation (ddof = 1, the estimate of the spread between seeds; 0 for one seed) and, from two
seeds on, a 95 % percentile-bootstrap interval of the mean (``stats.interval``, fixed resampling
seed, so a table regenerates to the same text), ignoring non-finite values (diverged runs),
whose number is shown beside it.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.stats import describe, interval


@dataclasses.dataclass(frozen=True)
class Stat:
    """Mean ± sample standard deviation (ddof = 1) over seeds of the finite values."""

    values: tuple[float, ...]
    digits: int = 2

    @property
    def finite(self) -> list[float]:
        return [x for x in self.values if math.isfinite(x)]

    @property
    def mean(self) -> float:
        v = self.finite
        return float(np.mean(v)) if v else float("nan")

    @property
    def std(self) -> float:
        v = self.finite
        return float(np.std(v, ddof=1)) if len(v) > 1 else (0.0 if v else float("nan"))

    @property
    def ci(self) -> tuple[float, float]:
        """95 % bootstrap interval of the mean over the finite values (NaN below two of them)."""
        v = self.finite
        if len(v) < 2:
            return float("nan"), float("nan")
        return interval(np.asarray(v, dtype=np.float64), method="bootstrap")

    def __str__(self) -> str:
        if not math.isfinite(self.mean):
            return "n/a"
        missing = len(self.values) - len(self.finite)
        d = self.digits
        text = f"{self.mean:.{d}f} ± {self.std:.{d}f}" if len(self.values) > 1 else f"{self.mean:.{d}f}"
        if len(self.finite) > 1:
            lo, hi = self.ci
            text += f" [{lo:.{d}f}, {hi:.{d}f}]"
        return text + (f" ({missing} n/a)" if missing else "")


def stat(values: Sequence[float], digits: int = 2) -> Stat:
    return Stat(tuple(float(v) for v in values), digits)


def band_over_seeds(histories: Sequence[Sequence[dict[str, Any]]], key: str) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """A curve over seeds: at every step some seed's history evaluated ``key``, the mean and the
    95 % bootstrap interval (``stats.describe``) of the seeds' finite values there — a diverged
    seed drops out from where it diverged. One value at a step: its interval is the value."""
    steps = sorted({h["step"] for hist in histories for h in hist if key in h})
    mean, lo, hi = [], [], []
    for s in steps:
        d = describe([h[key] for hist in histories for h in hist if h["step"] == s and key in h], method="bootstrap")
        m = d["mean"] if d["mean"] is not None else math.nan
        mean.append(m)
        lo.append(d["ci_low"] if d["ci_low"] is not None else m)
        hi.append(d["ci_high"] if d["ci_high"] is not None else m)
    return steps, np.array(mean, float), np.array(lo, float), np.array(hi, float)


NEAR = 0.9  # the budget rule's "within 10 % of the plateau"


def budget_of(curve: dict[int, float], plateau: float, near: float = NEAR) -> int | None:
    """The budget rule: the first step of ``curve`` (step → mean metric over seeds) at which it
    reaches ``near`` × its converged ``plateau``; None if it never does, or if the plateau is not
    above 0 (a run that learned nothing has no budget to read: train it to the horizon)."""
    if not plateau > 0:
        return None
    return next((step for step in sorted(curve) if curve[step] >= near * plateau), None)


def budget_from_histories(histories: Sequence[Sequence[dict[str, Any]]], key: str, near: float = NEAR, cover: str | None = "modes",
                          slack: float = 0.5) -> dict[str, Any]:  # fmt: skip
    """The budget rule read off long runs' histories. The plateau is the mean over seeds averaged
    over the evaluations of the horizon's last quarter (one evaluation would carry its noise: a
    raw generator's % HQ swings by 10 points between evaluations). ``budget``: the first evaluated
    step at which the mean reaches ``near`` × the plateau, among the steps where the mean of
    ``cover`` (modes) is within ``slack`` of its own plateau — an untrained G that puts every
    sample on one central mode scores a high % HQ with one mode. ``late_gain``: the least-squares
    trend of the mean over that last quarter, times its length (a curve still rising there has
    no plateau yet, and its budget is a lower bound)."""
    steps, mean, _, _ = band_over_seeds(histories, key)
    if not steps:
        return {"budget": None, "plateau": math.nan, "late_gain": math.nan, "horizon": 0}
    tail = [i for i, s in enumerate(steps) if s >= 0.75 * steps[-1]]
    plateau = float(np.nanmean(mean[tail]))
    usable = [True] * len(steps)
    if cover is not None and any(cover in h for hist in histories for h in hist):
        cover_steps, cov, _, _ = band_over_seeds(histories, cover)
        if cover_steps == steps:
            need = float(np.nanmean(cov[tail])) - slack
            usable = [bool(c >= need) for c in cov]
    budget = budget_of({s: float(m) for s, m, ok in zip(steps, mean, usable) if ok}, plateau, near)
    xs, ys = np.array(steps, float)[tail], mean[tail]
    gain = float(np.polyfit(xs, ys, 1)[0] * (xs[-1] - xs[0])) if len(tail) > 1 and np.all(np.isfinite(ys)) else 0.0
    return {"budget": budget, "plateau": plateau, "late_gain": gain, "horizon": steps[-1]}


LATE_RISE = 0.05  # a curve that gained more than this share of its final value over the horizon's last quarter is still rising


def budget_text(rule: dict[str, Any], near: float = NEAR, unit: str = "% HQ") -> str:
    """A ``budget_from_histories`` result in words: the plateau (in ``unit``), where the rule put the
    budget, and whether the curve was still rising at the horizon (then the budget is a lower bound)."""
    rising = rule["late_gain"] > LATE_RISE * rule["plateau"]
    return (f"{rule['plateau']:.1f} {unit} over the last quarter of {rule['horizon']:,} steps, "
            + (f"within {100 * (1 - near):.0f} % of it with its modes at their plateau, from {rule['budget']:,} steps"
               if rule["budget"] is not None else "no budget to read (nothing learned by the horizon)")
            + f" (trend over that quarter: {rule['late_gain']:+.1f}" + (" points" if unit == "% HQ" else "")
            + ("; **still rising**, so its budget is a lower bound)" if rising else ")"))  # fmt: skip


def first_reached(history: Sequence[dict[str, Any]], key: str, met: Callable[[dict[str, Any]], bool]) -> float:
    """``key`` (a step or CPU s) of the first evaluation in ``history`` where ``met`` holds; NaN
    if none did (a time to a target that ``stats.compare_times`` treats as censored)."""
    return next((float(h[key]) for h in history if met(h)), math.nan)


def hq_target(plateaus: Sequence[float], near: float = NEAR) -> float:
    """The % HQ both compared setups are timed to: ``near`` × the lower of their plateaus in the
    budget stage (validation seeds), to the point below — the level the budget rule reads, so
    within both methods' reach on runs that are never reported. At least 1 % (an untrained G's
    level would be met at step 0)."""
    finite = [p for p in plateaus if math.isfinite(p)]
    return float(max(1, math.floor(near * min(finite)))) if finite else 1.0


def reaches(histories: Sequence[Sequence[dict]], hq: float, modes: int = 8) -> dict[str, list[float]]:
    """Each seed's G steps and CPU s to all ``modes`` modes and to ``hq`` % HQ (NaN: never reached)."""
    targets = {"reach": lambda h: h.get("modes", 0) >= modes, "reach_hq": lambda h: h.get("hq", 0) >= hq}
    out: dict[str, list[float]] = {}
    for name, met in targets.items():
        out[name] = [first_reached(h, "step", met) for h in histories]
        out[f"{name}_cpu"] = [first_reached(h, "cpu", met) for h in histories]
    return out


def fmt(v: Any) -> str:
    """A table cell: numbers to 3–4 significant figures, NaN as n/a, Stat as mean ± std [95 % interval]."""
    if v is None:
        return ""
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        return f"{v:.3g}" if abs(v) < 1e-2 or abs(v) >= 1e4 else f"{v:.3f}".rstrip("0").rstrip(".")
    return str(v).replace("|", "\\|")


def plain(v: Any) -> Any:
    """A cell as a JSON value (Stat → its mean, std and values; NaN → None)."""
    if isinstance(v, Stat):
        lo, hi = v.ci
        return {"mean": _finite(v.mean), "std": _finite(v.std), "ci_low": _finite(lo), "ci_high": _finite(hi),
                "values": [_finite(x) for x in v.values]}  # fmt: skip
    if isinstance(v, float):
        return _finite(v)
    return v


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def write_table(out: Path, name: str, rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]] | None = None, *,
                title: str = "", notes: str = "") -> str:  # fmt: skip
    """``name``.csv (raw values; a Stat as _mean, _std, _ci_low and _ci_high columns) and ``name``.md; returns the markdown.

    ``columns``: (key, header) pairs; default every key of the rows, as its own header.
    """
    out.mkdir(parents=True, exist_ok=True)
    if columns is None:
        columns = [(k, k) for k in dict.fromkeys(k for r in rows for k in r)]
    keys = [k for k, _ in columns]
    with open(out / f"{name}.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_csv_header(rows, keys))
        for r in rows:
            w.writerow(_csv_row(r, keys))
    lines = [f"### {title}", ""] if title else []
    # a "|" in a header (e.g. "mean |Δ %HQ|") would split it into extra columns, as in a cell
    lines += ["| " + " | ".join(fmt(h) for _, h in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(k)) for k in keys) + " |" for r in rows]
    if notes:
        lines += ["", notes.strip()]
    md = "\n".join(lines)
    (out / f"{name}.md").write_text(md + "\n")
    return md


def group_stats(rows: Sequence[dict[str, Any]], keys: Sequence[str], values: Sequence[str], digits: int = 3) -> list[dict[str, Any]]:
    """One row per distinct ``keys`` with the Stat of each of ``values`` over the rest (e.g. seeds)."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        row: dict[str, Any] = dict(zip(keys, key))
        row["n"] = len(rs)
        for v in values:
            row[v] = stat([r[v] for r in rs if v in r], digits)
        out.append(row)
    return out


def _csv_header(rows: Sequence[dict], keys: Sequence[str]) -> list[str]:
    out = []
    for k in keys:
        if any(isinstance(r.get(k), Stat) for r in rows):
            out += [f"{k}_mean", f"{k}_std", f"{k}_ci_low", f"{k}_ci_high"]
        else:
            out.append(k)
    return out


def _csv_row(r: dict, keys: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for k in keys:
        v = r.get(k)
        if isinstance(v, Stat):
            out += [v.mean, v.std, *v.ci]
        else:
            out.append("" if v is None else v)
    return out
