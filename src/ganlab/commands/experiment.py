"""``ganlab experiment NAME [--quick] [--seeds N] [--out DIR] [--executor local|ray]`` and ``ganlab experiment --list``."""

from __future__ import annotations

import argparse

from ganlab.commands import subcommand
from ganlab.errors import GanlabError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subcommand(subparsers, "experiment", run, help="reproduce a claim of the source texts (tables, CSVs, figures)",
                   description="Run one experiment of MISSION §7. --quick is the small CI size; the full size is what "
                   "docs/RESULTS.md shows.")  # fmt: skip
    p.add_argument("name", nargs="?", help="experiment name (see --list)")
    p.add_argument("--list", action="store_true", help="list the experiments")
    p.add_argument("--quick", action="store_true", help="small settings (seconds to a minute)")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the experiment's)")
    p.add_argument("--out", default=None, help="output folder (default experiments/NAME)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where the cells train: local worker processes (default), or one Ray task per cell (pip install 'ganlab[ray]')")
    p.add_argument("--workers", type=int, default=None, help="local: worker processes (default: one per core; --quick: 1)")
    p.add_argument("--ray-address", default=None, help="ray: the cluster to join (default: start Ray on this machine)")


def run(args: argparse.Namespace) -> int:
    from ganlab.experiments import EXPERIMENTS, run_experiment

    if args.list or args.name is None:
        if args.name is None and not args.list:
            raise GanlabError("no experiment named", "pass one of: " + ", ".join(EXPERIMENTS.names()) + " (or --list)")
        width = max(len(n) for n in EXPERIMENTS.names())
        for name, exp in EXPERIMENTS.items():
            print(f"  {name:<{width}}  {exp.title}")
        return 0
    from ganlab.commands import checks

    checks.at_least(args.seeds, 1, "--seeds")
    checks.at_least(args.workers, 1, "--workers")
    if args.out is not None:
        checks.output_folder(args.out)
    EXPERIMENTS.get(args.name)  # an unknown name is refused before anything runs
    if args.executor == "ray":
        from ganlab.sweep.executors import ray_module

        ray_module()  # a missing Ray is one line, before anything runs
        if args.workers is not None:
            raise GanlabError("--workers sizes the local pool; Ray places the cells itself", "drop --workers, or use --executor local")
    elif args.ray_address is not None:
        raise GanlabError("--ray-address is a request to Ray", "add --executor ray")
    out = run_experiment(args.name, quick=args.quick, seeds=args.seeds, out=args.out, executor=args.executor,
                         workers=args.workers, ray_address=args.ray_address)  # fmt: skip
    print(f"wrote {out}/README.md")
    return 0
