"""Measure the stacked-digits preset (the 1,000-mode benchmark); write docs/stacked_digits.md.

The preset ``configs/stacked_digits.yaml`` is trained as one group of runs (seeds 0 … n−1,
``train.runs``) and evaluated by the end-of-run evaluation: the EMA generator, 26,000 samples for
``stacked_modes`` (PacGAN Table 2's count), 10,000 against the test split for FID and
precision/recall (features: the digits classifier on each channel). Beside it, the data's own
floor: the same metrics of real training stacks in place of generated ones (``metrics.floor``).
Every number in the doc is written by this script.

    python scripts/stacked_digits.py --seeds 3 --out runs/stacked     # ≈ 10 CPU min per run
    python scripts/stacked_digits.py --seeds 1 --steps 2000           # a quick check (the doc states it)
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import time
from pathlib import Path

import torch

from ganlab.api import train
from ganlab.config import make_config
from ganlab.data import load_dataset
from ganlab.metrics.floor import data_floor
from ganlab.metrics.stacked import PACGAN_N
from ganlab.serial import read_json
from ganlab.stats import text

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "configs" / "stacked_digits.yaml"
VALUES = ["stacked_modes", "stacked_kl", "fid", "precision", "recall"]
# PacGAN (Lin et al. 2018) Table 2, Stacked MNIST: modes of 1,000 and KL to uniform, mean over runs
ANCHORS = [("DCGAN", "99.0", "3.40"), ("Unrolled GAN", "48.7", "4.32"), ("VEEGAN", "150.0", "2.95"), ("PacDCGAN2", "1000.0", "0.06")]
TARGET = "≥ 990 modes and KL ≤ 0.1 (mean of 3 seeds), ≤ 15 CPU minutes per run (issue 13)"


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, 1 torch thread, load {load:.1f} at the end"


def cell(values: dict, name: str) -> str:
    v = values.get(name)
    return "n/a" if v is None else (f"{v:.0f}" if name == "stacked_modes" else f"{v:.3g}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", default="runs/stacked")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "stacked_digits.md"))
    ap.add_argument("--steps", type=int, default=None, help="override train.steps (a quick check; the doc states it)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    extra = [f"train.steps={args.steps}"] if args.steps else []
    cfg = make_config(str(PRESET), [*extra, f"train.runs={args.seeds}", "train.progress=false", "train.threads=1"])
    out = Path(args.out)
    start, wall = time.process_time(), time.perf_counter()
    train(cfg, out, overwrite=True, quiet=True)
    cpu, wall = time.process_time() - start, time.perf_counter() - wall
    summary = read_json(out / "summary.json")

    dataset = load_dataset(cfg.data)
    # the floor of each metric at the count the generator's value used: 26,000 stacks for the modes, eval.n for the rest
    floor = data_floor(dataset, ["stacked_modes"], n=PACGAN_N)["values"]
    floor |= data_floor(dataset, ["fid", "precision_recall"], n=cfg.eval.n)["values"]

    doc = Path(args.doc)
    fig_dir = doc.parent / "stacked_digits"
    fig_dir.mkdir(parents=True, exist_ok=True)
    first = out / "seed-0" / "samples.png"
    if first.exists():
        shutil.copyfile(first, fig_dir / "samples.png")
    lines = [
        "# Stacked digits: the 1,000-mode benchmark",
        "",
        "Regenerate: `python scripts/stacked_digits.py "
        + f"--seeds {args.seeds}" + (f" --steps {args.steps}" if args.steps else "") + "` (this file and the figure).",
        "",
        "The Stacked MNIST protocol (Metz et al. 2017, §3.3; VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018, "
        "§5.2) on the 8×8 digits of scikit-learn: data set `stacked_digits`, three digits drawn independently from one "
        "split stacked as the 3 channels of a 3×8×8 image, 1,000 modes. Metric `stacked_modes`: each channel of "
        f"{PACGAN_N:,} generated samples is classified by the shipped digits classifier (trained on the train split only); "
        "`stacked_modes` counts the modes 100·c₁ + 10·c₂ + c₃ with at least one sample, `stacked_kl` is "
        "KL(p_modes ‖ uniform) = Σ p log(1000 p). FID, precision and recall: 10,000 samples against the 10,000 test stacks, "
        "features of the digits classifier on each channel (192-d) — comparable between rows here, not with papers.",
        "",
        f"Preset `configs/stacked_digits.yaml`: {cfg.model.arch} nets (DCGAN at 8×8 with 3 channels), z_dim {cfg.model.z_dim}, "
        f"width {cfg.model.width}, objective {cfg.game.objective}, Adam {cfg.train.lr_g:g} β = {tuple(cfg.train.betas_g)}, "
        f"batch {cfg.train.batch_size}, {cfg.train.steps} steps, EMA {cfg.train.ema}, training set {cfg.data.n_points:,} stacks. "
        f"{args.seeds} seeds trained as one group (`train.runs={args.seeds}`), the EMA generator evaluated on the test split.",
        "",
        f"Target: {TARGET}.",
        "",
        f"Machine: {machine()}. CPU time of the group: {cpu / 60:.1f} min ({cpu / 60 / args.seeds:.1f} min per run; "
        f"wall {wall / 60:.1f} min).",
        "",
        "| run | " + " | ".join(VALUES) + " |",
        "|---|" + "---|" * len(VALUES),
    ]
    for row in summary["runs"]:
        flag = f" (diverged at step {row['diverged']['step']})" if row["diverged"] else ""
        lines.append(f"| seed {row['seed']}{flag} | " + " | ".join(cell(row["values"], v) for v in VALUES) + " |")
    mean = summary["values"]
    lines.append("| mean ± std [95 % interval] | " + " | ".join(text(mean[v], 4) if v in mean else "n/a" for v in VALUES) + " |")
    lines.append("| data floor: real training stacks | " + " | ".join(cell(floor, v) for v in VALUES) + " |")
    lines += [
        "",
        f"The data floor (`ganlab.metrics.floor.data_floor`) puts {PACGAN_N:,} real training stacks in place of the "
        f"generated samples for the modes and {min(cfg.eval.n, len(dataset.train)):,} for FID, precision and recall: "
        "the values a perfect generator would get, classifier errors and finite samples included.",
        "",
        "PacGAN Table 2 (Stacked MNIST, 28×28; its numbers, not measured here):",
        "",
        "| method | modes of 1,000 | KL |",
        "|---|---|---|",
        *[f"| {m} | {modes} | {kl} |" for m, modes, kl in ANCHORS],
        "",
        "![samples of seed 0, each digit in one colour channel](stacked_digits/samples.png)",
        "",
    ]
    doc.write_text("\n".join(lines))
    print(f"wrote {doc}")


if __name__ == "__main__":
    main()
