"""The 2-D mixture presets against PacGAN's Table 1: the sweep that chose them, and their test numbers.

Two stages, each writing JSON under ``--out``; ``--doc`` renders docs/mixtures_2d.md from whatever
JSON is there (nothing in the doc is typed by hand):

1. ``--stage sweep``: each cell of ``CELLS`` (the preset plus overrides) trains as one group of
   ``--sweep-seeds`` runs with seeds 100, 101, … (never the seeds of the final runs) and is
   evaluated on the *validation* split every ``EVAL_EVERY`` steps (``train.eval_every``); the
   test split is not read. The preset's settings are the cell and step with the best mean
   validation HQ share among the cells that cover every mode.
2. ``--stage final``: the preset as a user runs it, ``ganlab train configs/<name>.yaml
   train.seed=S`` for S = 0 … ``--final-seeds``−1, each a lone run in this process with one
   torch thread; its end-of-run evaluation on the test split (10,000 samples) and its CPU
   seconds are recorded.

    python scripts/mixtures_2d.py --stage sweep --data ring8 grid25
    python scripts/mixtures_2d.py --stage final --data ring8 grid25
    python scripts/mixtures_2d.py --doc
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from ganlab.api import train
from ganlab.config import make_config
from ganlab.experiments.modes import PUBLISHED  # VEEGAN and PacGAN Table 1 rows, with their ± s.e.
from ganlab.serial import read_json, read_jsonl, write_json
from ganlab.stats import compare, comparison_text, describe, text

ROOT = Path(__file__).resolve().parents[1]
EVAL_EVERY = 5000
VALUES = ("modes", "hq", "reverse_kl")
# the grid of each mixture, one factor at a time around the preset at 20,000 steps: the EMA decay, the budget, G's
# width, BatchNorm in G, width and depth of both nets, the learning rate, Adam's β, the batch and R1's γ (the
# activations are fixed by the nets: ReLU in G, LeakyReLU(0.2) in D). New cells go at the end: indices name cells.
AROUND = [["model.g_norm=batch"], ["model.width=128"], ["model.depth=4"], ["train.lr_d=5.0e-4", "train.lr_g=5.0e-4"],
          ["train.lr_d=2.0e-3", "train.lr_g=2.0e-3"], ["train.betas_d=[0.0, 0.99]", "train.betas_g=[0.0, 0.99]"],
          ["train.batch_size=128"], ["game.penalties=[{name: r1, gamma: 0.1}]"], ["game.penalties=[{name: r1, gamma: 10}]"]]
CELLS = {
    "ring8": [["train.steps=20000"], ["train.steps=20000", "train.ema=0.9999"], ["train.steps=30000"],
              *(["train.steps=20000", *c] for c in AROUND),
              # the learning-rate decision again at the preset's budget with 10 seeds (--sweep-seeds 10): the test stage
              # of the 3-seed pick (2e-3) had one seed at 88 % HQ, so 3 seeds were too few to select on
              ["train.steps=30000", "train.lr_d=1.0e-3", "train.lr_g=1.0e-3"],
              ["train.steps=30000", "train.lr_d=2.0e-3", "train.lr_g=2.0e-3"]],
    "grid25": [["train.steps=20000"], ["train.steps=20000", "train.ema=0.9999"], ["train.steps=40000"],
               ["train.steps=40000", "model.g_width=128"], *(["train.steps=20000", *c] for c in AROUND)],
}
# PacGAN Table 1 rows the modes experiment does not list (REFERENCES §3): (modes, HQ %, reverse KL) per mixture
MORE_PUBLISHED = [
    ("PacGAN Table 1: ALI", {"ring8": ("6.6±0.3", "97.6±0.4", "0.36±0.04"), "grid25": ("24.1±0.4", "95.7±0.6", "0.14±0.03")}),
    ("PacGAN Table 1: PacGAN3", {"ring8": ("7.8±0.1", "97.7±0.3", "0.10±0.02"), "grid25": ("24.6±0.4", "94.2±0.4", "0.06±0.02")}),
]
HEAD = "| overrides | seeds | step | modes | HQ % | reverse KL | CPU s per run | load |"
# decisions taken between two cells, paired over their seeds (stats.compare): (challenger, incumbent, what)
DECISIONS = {"ring8": (["train.steps=30000", "train.lr_d=2.0e-3", "train.lr_g=2.0e-3"],
                       ["train.steps=30000", "train.lr_d=1.0e-3", "train.lr_g=1.0e-3"],
                       "the preset takes Adam 2e-3 only if its % HQ at 30,000 steps is greater than 1e-3's (paired over the "
                       "same 10 validation seeds; rule fixed before these cells ran)")}
TARGETS = {"ring8": (7.9, 0.97, 0.02), "grid25": (24.8, 0.95, 0.05)}  # issue 13: ahead of every Table 1 row


def preset(name: str) -> Path:
    return ROOT / "configs" / f"{name}.yaml"


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{platform.machine()}, {os.cpu_count()} cores, 1 torch thread per process, load average {load:.1f}"


def sweep(name: str, scratch: Path, out: Path, seeds: int, only: list[int] | None = None) -> None:
    """Train the cells (``only``: these indices, the others kept from an earlier sweep's JSON)."""
    path = out / f"{name}_sweep.json"
    old = read_json(path) if only and path.exists() else {"cells": []}
    cells = [{"machine": old.get("machine", ""), "seeds": old.get("seeds", seeds), **c} for c in old["cells"]]  # as trained
    for i, over in enumerate(CELLS[name]):
        if only and i not in only:
            continue
        folder = scratch / name / f"cell{i}"
        extra = [f"train.runs={seeds}", "train.seed=100", f"train.eval_every={EVAL_EVERY}", "train.eval_n=10000",
                 "eval.metrics=[mode_coverage]", "train.progress=false", "train.sample_every=0"]  # fmt: skip
        cfg = make_config(str(preset(name)), [*over, *extra])
        start = time.process_time()
        train(cfg, folder, overwrite=True, quiet=True)
        cpu = time.process_time() - start
        curve: dict[int, dict[str, list[float]]] = {}
        for run in sorted(folder.glob("seed-*")):
            for rec in read_jsonl(run / "log.jsonl"):
                if rec.get("event") == "eval" and rec.get("split") == "val":
                    row = curve.setdefault(int(rec["step"]), {k: [] for k in VALUES})
                    for k in VALUES:
                        row[k].append(rec["values"][k])
        rows = {s: {k: {**describe(v), "values": v} for k, v in r.items()} for s, r in sorted(curve.items())}
        cells[i:i + 1] = [{"overrides": over, "seeds": seeds, "cpu_s_per_run": cpu / seeds, "machine": machine(), "curve": rows}]
        print(f"{name} cell {i} {over}: {cells[i]['curve']}", flush=True)
        write_json(path, {"preset": str(preset(name).relative_to(ROOT)), "seeds": old.get("seeds", seeds), "cells": cells,
                          "machine": machine()})  # after every cell: a killed sweep keeps what it finished
    write_json(path, {"preset": str(preset(name).relative_to(ROOT)), "seeds": old.get("seeds", seeds), "cells": cells,
                                           "machine": machine()})  # fmt: skip


def final(name: str, scratch: Path, out: Path, seeds: int) -> None:
    runs = []
    for s in range(seeds):
        cfg = make_config(str(preset(name)), [f"train.seed={s}", "train.progress=false"])
        start, wall = time.process_time(), time.time()
        folder = train(cfg, scratch / name / f"final-seed{s}", overwrite=True, quiet=True)
        runs.append({"seed": s, "cpu_s": time.process_time() - start, "wall_s": time.time() - wall,
                     "values": read_json(Path(folder) / "metrics.json")["values"]})  # fmt: skip
        print(f"{name} seed {s}: {runs[-1]}", flush=True)
    write_json(out / f"{name}_final.json", {"preset": str(preset(name).relative_to(ROOT)), "runs": runs, "machine": machine(),
                                           "steps": make_config(str(preset(name))).train.steps})  # fmt: skip


def shown(key: str, d: dict) -> dict:
    """A ``describe`` result as the doc shows it: HQ in percent, like the published tables."""
    if key != "hq":
        return d
    return {k: (v * 100 if k in ("mean", "std", "ci_low", "ci_high") and v is not None else v) for k, v in d.items()}


def render(out: Path, doc: Path) -> None:
    lines = ["# 2-D mixtures: presets against PacGAN's Table 1", "",
             "Generated by `python scripts/mixtures_2d.py --doc` from the JSON its `--stage sweep` and `--stage final` wrote "
             "(see the script's docstring). HQ: share of samples within 3σ of their nearest mode; modes: modes with at least "
             "one HQ sample; reverse KL: KL of the HQ mode histogram to uniform (VEEGAN / PacGAN protocol, "
             "`ganlab.metrics.modes`). Values: mean ± sample std [95 % Student-t interval] over seeds; all numbers from the "
             "EMA generator, 10,000 samples.", "",
             "The library's defaults on these data sets are the presets (`ganlab.presets.DATA_DEFAULTS`, checked equal by "
             "`tests/test_presets.py`): `ganlab train data.name=ring8` trains `configs/ring8.yaml`; a key you set wins, and "
             "R1 joins only the objective the presets were chosen with (non-saturating).", ""]  # fmt: skip
    for name in ("ring8", "grid25"):
        sw, fi = out / f"{name}_sweep.json", out / f"{name}_final.json"
        if not sw.exists() and not fi.exists():
            continue
        lines += [f"## {name}", ""]
        if sw.exists():
            s = read_json(sw)
            lines += [f"Sweep on the **validation** split: `{s['preset']}` plus each cell's overrides, {s['seeds']} seeds per cell "
                      "unless the table says more "
                      f"(100, 101, …) trained as one group; machine: {s['machine']} (each cell's load below). Selection rule: "
                      "a cell replaces the preset's settings only if, covering every mode, its 95 % interval of % HQ lies wholly "
                      "above the preset's mean at the same budget (the `train.steps=20000` cell); the budget is where the "
                      "preset's curve stops rising within its interval.", "",
                      "Each cell at its last step, best % HQ first:", "",
                      HEAD, "|---|---|---|---|---|---|---|---|"]  # fmt: skip

            def last(c: dict) -> tuple[str, dict]:
                step = max(c["curve"], key=int)
                return step, c["curve"][step]

            def row_text(c: dict, step: str, row: dict, whole: str = s["machine"], n: int = s["seeds"]) -> str:
                load = c.get("machine", whole).rsplit("load average ", 1)[-1]
                cells_text = " | ".join(text(shown(k, row[k])) for k in VALUES)
                return (f"| `{' '.join(c['overrides'])}` | {c.get('seeds', n)} | {step} | " + cells_text
                        + f" | {c['cpu_s_per_run']:.0f} | {load} |")  # fmt: skip

            for c in sorted(s["cells"], key=lambda c: -(last(c)[1]["hq"]["mean"] or 0)):
                lines.append(row_text(c, *last(c)))
            lines += ["", "Along training (every evaluation of every cell):", "",
                      HEAD, "|---|---|---|---|---|---|---|---|"]
            for c in s["cells"]:
                for step, row in c["curve"].items():
                    lines.append(row_text(c, step, row))
            if name in DECISIONS:
                challenger, incumbent, what = DECISIONS[name]
                by = {tuple(c["overrides"]): c for c in s["cells"]}
                if tuple(challenger) in by and tuple(incumbent) in by:
                    a_, b_ = (last(by[tuple(x)])[1]["hq"].get("values") for x in (challenger, incumbent))
                    if a_ and b_:
                        c = compare([100 * v for v in a_], [100 * v for v in b_], expect="greater")
                        lines += ["", f"**Decision**: {what}: {comparison_text(c)} → the preset uses "
                                  + ("2e-3." if c["verdict"] == "agrees" else "1e-3.")]  # fmt: skip
            lines.append("")
        if fi.exists():
            f = read_json(fi)
            vals = {k: describe([r["values"][k] * (100 if k == "hq" else 1) for r in f["runs"]]) for k in VALUES}
            cpu = [r["cpu_s"] for r in f["runs"]]
            modes, hq, kl = TARGETS[name]
            met = vals["modes"]["mean"] >= modes and vals["hq"]["mean"] >= 100 * hq and vals["reverse_kl"]["mean"] <= kl
            lines += [f"Test split, `ganlab train {f['preset']} train.seed=S`, S = 0 … {len(f['runs']) - 1}, {f['steps']} steps, "
                      f"one lone run each; CPU per run {np.mean(cpu):.0f} s (min {min(cpu):.0f}, max {max(cpu):.0f}); machine: "
                      f"{f['machine']}.", "",
                      "| method | modes | HQ % | reverse KL |", "|---|---|---|---|",
                      "| **ganlab preset** | " + " | ".join(text(vals[k]) for k in VALUES) + " |"]  # fmt: skip
            lines += [f"| {src} | {cells[name][0]} | {cells[name][1]} | {cells[name][2]} |" for src, cells in [*PUBLISHED, *MORE_PUBLISHED]]
            old = out / f"{name}_final_superseded.json"
            if old.exists():  # a test stage of settings the validation split later rejected: kept, not hidden
                o = read_json(old)
                ov = {k: describe([r["values"][k] * (100 if k == "hq" else 1) for r in o["runs"]]) for k in VALUES}
                per_seed = ", ".join(f"{100 * r['values']['hq']:.1f}" for r in o["runs"])
                lines += ["", f"Superseded test stage ({o['note']}): " + ", ".join(f"{k} {text(ov[k])}" for k in VALUES)
                          + f"; per seed % HQ {per_seed}; machine: {o['machine']}."]  # fmt: skip
            lines += ["", f"Goal of issue 13: ≥ {modes} modes, ≥ {hq:.0%} HQ, reverse KL ≤ {kl} (means over the seeds) — "
                      + ("**met**." if met else "**not met**.") + " Read the intervals too: a row of Table 1 can still beat one "
                      "column (PacGAN's ALI row on grid25 has a higher HQ share with fewer modes and a larger KL).", ""]  # fmt: skip
    doc.write_text("\n".join(lines))
    print(f"wrote {doc}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage", choices=["sweep", "final"])
    ap.add_argument("--data", nargs="+", default=["ring8", "grid25"], choices=["ring8", "grid25"])
    ap.add_argument("--sweep-seeds", type=int, default=3)
    ap.add_argument("--final-seeds", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "docs" / "mixtures_2d"))
    ap.add_argument("--cells", type=int, nargs="+", help="sweep only these cells (indices), keep the others' JSON")
    ap.add_argument("--scratch", default="runs/mixtures_2d", help="where the run folders go")
    ap.add_argument("--doc", action="store_true", help="render docs/mixtures_2d.md from the JSON in --out")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(args.scratch)
    for name in args.data:
        if args.stage == "sweep":
            sweep(name, scratch, out, args.sweep_seeds, args.cells)
        elif args.stage == "final":
            final(name, scratch, out, args.final_seeds)
    if args.doc:
        render(out, ROOT / "docs" / "mixtures_2d.md")


if __name__ == "__main__":
    main()
