"""``ganlab report PATH [--out FILE]``: one self-contained HTML page (see ``ganlab.report``)."""

from __future__ import annotations

import argparse

from ganlab.commands import subcommand
from ganlab.report import write_report


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subcommand(subparsers, "report", run, help="one self-contained HTML page for a run or experiment folder",
                   description="Render a run folder (ganlab train) or an experiment folder (ganlab experiment) as one "
                   "HTML file with every image embedded.")  # fmt: skip
    p.add_argument("path", help="run folder, experiment folder, or a folder of experiments")
    p.add_argument("--out", default=None, help="HTML file to write (default PATH/report.html)")


def run(args: argparse.Namespace) -> int:
    from ganlab.commands import checks

    if args.out is not None:
        checks.output_file(args.out, "--out", (".html", ".htm"))
    target = write_report(args.path, args.out)
    print(f"wrote {target}")
    return 0
