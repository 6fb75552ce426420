"""``ganlab geometry {tangents,localized,ssl}``: the studies of MISSION §6 (``ganlab.experiments.studies``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ganlab.commands import subcommand
from ganlab.errors import GanlabError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    g = subcommand(subparsers, "geometry", run, help="tangent rank, Localized GAN, Laplace–Beltrami semi-supervised learning",
                   description="Geometry studies of MISSION §6 (seed 000): markdown + CSV tables and figures.")  # fmt: skip
    g.add_argument("study", choices=["tangents", "localized", "ssl"])
    g.add_argument("--quick", action="store_true", help="tiny step counts: a smoke run in seconds")
    g.add_argument("--seeds", type=int, default=None, help="seeds (default: tangents 2, ssl 5)")
    g.add_argument("--out", type=Path, default=Path("runs/geometry"), help="folder for tables and figures")
    g.add_argument("--localized", type=Path, default=None, help="ssl: a localized.pt to reuse instead of training one")
    g.add_argument("--tune", action="store_true",
                   help="choose the settings on validation first: tangents — the penalty weight per data set on seeds 100-102; "
                   "ssl — each method's two knobs on the validation split (as `ganlab experiment tangents` does)")  # fmt: skip
    return g


def run(args: argparse.Namespace) -> int:
    from ganlab.commands import checks
    from ganlab.experiments.studies import PENALTY_WEIGHT, localized_study, ssl_study, tangent_study

    if args.seeds is not None and args.seeds < 1:
        raise GanlabError(f"--seeds must be ≥ 1, got {args.seeds}", "pass --seeds 1 or more")
    checks.output_folder(args.out)
    if args.localized is not None:
        if args.study != "ssl":
            raise GanlabError(f"--localized is an input of the ssl study, not of {args.study}", "drop --localized")
        from ganlab.geometry.localized import load_localized

        load_localized(checks.input_file(args.localized, "--localized"))  # a file that does not load is refused before any output
    start = time.process_time()
    if args.tune and args.study == "localized":
        raise GanlabError("--tune chooses settings of the tangents and ssl studies, not of localized", "drop --tune")
    if args.study == "tangents":
        tangent_study(args.quick, args.seeds or 2, args.out, weight="tune" if args.tune else PENALTY_WEIGHT)
        name = "tangents.md"
    elif args.study == "localized":
        localized_study(args.quick, args.out)
        name = "localized.md"
    else:
        ssl_study(args.quick, args.seeds or 5, args.out, localized=args.localized, tune=args.tune)
        name = "ssl.md"
    print((args.out / name).read_text())
    print(f"wrote {args.out / name} (CPU {time.process_time() - start:.0f} s)")
    return 0
