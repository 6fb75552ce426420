"""A sweep's results: one table over cells (results.csv, results.md) and one plot per metric.

Each cell's numbers are its group's own summary (``summary.json``: mean, sample std, 95 %
interval over the runs that did not diverge — ``ganlab.stats.describe``, the one convention);
a cell of one seed is its run's metrics.json through the same ``describe``. Nothing is
recomputed differently here: the table copies, so it always agrees with the cell folders.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ganlab.metrics import value_direction, value_names
from ganlab.serial import atomic_write_bytes
from ganlab.stats import describe, text
from ganlab.sweep.spec import Cell, Plan, value_text
from ganlab.train.folder import GroupFolder, RunFolder

STATS = ("mean", "std", "ci_low", "ci_high", "n")
CONVENTION = "mean, sample std (ddof 1) and a 95 % interval of the mean (Student t) over each cell's runs that did not diverge"


def cell_summary(cell: Cell) -> dict[str, Any] | None:
    """A cell's summary as ``summarize_group`` writes it (values: name → describe()), or None if unfinished."""
    if cell.config.train.runs > 1:
        return GroupFolder(cell.path).read_summary()
    metrics = RunFolder(cell.path).read_metrics()
    if metrics is None:
        return None
    values = {k: v for k, v in metrics.get("values", {}).items() if isinstance(v, (int, float)) or v is None}
    return {"runs": [{"seed": cell.config.train.seed, "diverged": None, "values": values}], "n_runs": 1, "n_diverged": 0,
            "values": {k: describe([v if v is not None else float("nan")]) for k, v in values.items()}}  # fmt: skip


def metric_names(summaries: Sequence[dict[str, Any] | None], wanted: Sequence[str] | None) -> list[str]:
    """The SPEC's metrics, or every value some cell reports, in the order first seen."""
    if wanted is not None:
        return list(wanted)
    return list(dict.fromkeys(k for s in summaries if s for k in s["values"]))


def write_results(plan: Plan) -> tuple[Path, Path]:
    """results.csv, results.md and plots/METRIC.png in the sweep folder; returns the two tables' paths."""
    from ganlab.plots import Interval, save_intervals

    summaries = [cell_summary(c) for c in plan.cells]
    metrics = metric_names(summaries, plan.spec.metrics)
    out = plan.out
    csv_path, md_path = out / "results.csv", out / "results.md"
    atomic_write_bytes(csv_path, _csv(plan, summaries, metrics).encode())
    atomic_write_bytes(md_path, _markdown(plan, summaries, metrics).encode())
    for m in metrics:
        rows = []
        for cell, s in zip(plan.cells, summaries):
            d = (s or {}).get("values", {}).get(m)
            points = [r["values"].get(m) for r in (s or {}).get("runs", []) if not r.get("diverged")]
            rows.append(Interval(cell.name, None if d is None else d["mean"], None if d is None else d["ci_low"],
                                 None if d is None else d["ci_high"], [p for p in points if isinstance(p, (int, float))]))  # fmt: skip
        save_intervals(rows, out / "plots" / f"{_file_safe(m)}.png", title=f"{m}{_arrow(m)}: mean and 95 % interval per cell",
                       xlabel=m)  # fmt: skip
    return csv_path, md_path


def _file_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def _arrow(metric: str) -> str:
    if metric not in value_names():
        return ""
    return " ↑" if value_direction(metric)[1] else " ↓"


def _csv(plan: Plan, summaries: Sequence[dict | None], metrics: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["cell", *plan.keys, "runs", "diverged", *(f"{m}_{s}" for m in metrics for s in STATS)])
    for cell, s in zip(plan.cells, summaries):
        row: list[Any] = [cell.name, *(value_text(cell.overrides[k]) if k in cell.overrides else "" for k in plan.keys)]
        row += [s["n_runs"], s["n_diverged"]] if s else ["", ""]
        for m in metrics:
            d = (s or {}).get("values", {}).get(m)
            row += ["" if d is None or d[k] is None else d[k] for k in STATS]  # floats as repr: they read back exactly
        w.writerow(row)
    return buf.getvalue()


def _markdown(plan: Plan, summaries: Sequence[dict | None], metrics: Sequence[str]) -> str:
    seeds = plan.spec.seeds
    lines = [f"# {plan.out.name}: {len(plan.cells)} cells × {seeds} seed{'s' * (seeds > 1)}", "",
             f"Each entry: {CONVENTION} (mean ± std [low, high]); ↑ higher is better, ↓ lower. Plots: plots/METRIC.png.", "",
             "| cell | " + " | ".join([*plan.keys, "runs", *(f"{m}{_arrow(m)}" for m in metrics)]) + " |",
             "|" + "---|" * (2 + len(plan.keys) + len(metrics))]  # fmt: skip
    for cell, s in zip(plan.cells, summaries):
        keys = [value_text(cell.overrides[k]).replace("|", "\\|") if k in cell.overrides else "" for k in plan.keys]
        if s is None:
            runs, values = "not finished", ["" for _ in metrics]
        else:
            runs = f"{s['n_runs']}" + (f" ({s['n_diverged']} diverged)" if s["n_diverged"] else "")
            values = [text(s["values"][m]) if m in s["values"] else "n/a" for m in metrics]
        lines.append("| " + " | ".join([cell.name, *keys, runs, *values]) + " |")
    return "\n".join(lines) + "\n"
