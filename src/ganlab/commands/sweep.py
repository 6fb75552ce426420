"""``ganlab sweep SPEC.yaml``: a grid of configs × seeds, each cell one group, locally or on Ray."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ganlab.commands import subcommand

EXIT_INTERRUPTED = 130  # as cli.py: a shell reports death by SIGINT so


def add_parser(sub: Any) -> None:
    p = subcommand(sub, "sweep", run, help="train a grid of configs × seeds and tabulate the results",
                   description="Train every cell of a SPEC (a base config, a grid and/or list of overrides, seeds) as one "
                   "group of runs per cell, then write results.csv, results.md and a plot per metric. Running the same "
                   "command again resumes a killed sweep; finished cells are not touched. See docs/sweeps.md.")  # fmt: skip
    p.add_argument("spec", help="the sweep's YAML SPEC (see configs/sweeps/)")
    p.add_argument("--out", help="sweep folder (default: the SPEC's out, else sweeps/SPEC-NAME)")
    p.add_argument(
        "--executor",
        default="local",
        choices=("local", "ray"),
        help="local: a process pool on this machine (default); ray: one Ray task per cell (pip install 'ganlab[ray]')",
    )
    p.add_argument("--workers", type=int, help="local: worker processes, one torch thread each (default: one per core)")
    p.add_argument("--ray-address", help="ray: the cluster to join (default: start Ray on this machine)")
    p.add_argument("--cpus-per-cell", type=float, default=1.0, help="ray: CPUs each cell requests (default 1)")
    p.add_argument(
        "--gpus-per-cell", type=float, help="ray: GPUs each cell requests, fractions allowed (default: 1 for train.device=cuda…, else 0)"
    )
    p.add_argument("--dry-run", action="store_true", help="check the SPEC and list its cells; write nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table at the end")


def run(args: argparse.Namespace) -> int:
    from ganlab.sweep import prepare, run_sweep

    if args.dry_run:
        plan = prepare(args.spec, args.out)
        seeds = plan.spec.seeds
        print(f"sweep folder: {plan.out} ({len(plan.cells)} cells × {seeds} seeds)")
        for cell in plan.cells:
            print(f"  {cell.name:<40}  {cell.state}")
        return 0
    try:
        plan = run_sweep(args.spec, out=args.out, executor=args.executor, workers=args.workers, ray_address=args.ray_address,
                         cpus_per_cell=args.cpus_per_cell, gpus_per_cell=args.gpus_per_cell, quiet=args.quiet)  # fmt: skip
    except KeyboardInterrupt:
        print("ganlab: sweep interrupted; the cells in training saved a checkpoint — run the same command again to resume",
              file=sys.stderr)  # fmt: skip
        return EXIT_INTERRUPTED
    if not args.quiet:
        print((plan.out / "results.md").read_text(), end="")
        print(f"sweep folder: {plan.out} (results.csv, results.md, plots/)")
    return 0
