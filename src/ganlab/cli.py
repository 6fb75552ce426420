"""Command line: parse, build a config, call the API, print. Nothing else lives here.

Each sub-command lives in ``ganlab.commands`` and is imported here by name, so a broken or
missing one is an error at start-up, not a command that silently vanishes.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing
from collections.abc import Sequence

from ganlab.commands import dynamics, experiment, geometry, listing, report, train
from ganlab.commands import eval as eval_command
from ganlab.commands import sweep as sweep_command
from ganlab.errors import GanlabError

EXIT_USER_ERROR = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130  # a second Ctrl-C, as a shell reports death by SIGINT
EXIT_CODES = (
    "exit codes: 0 done, or stopped by SIGINT / SIGTERM after saving a checkpoint (stderr then says how to resume); "
    "1 internal error; 2 bad input (one line on stderr, --debug for the traceback); 130 interrupted by a second Ctrl-C"
)


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error every other ganlab error has."""

    def error(self, message: str) -> typing.NoReturn:
        sys.stderr.write(f"ganlab: error: {message} — see `{self.prog} --help`\n")
        sys.exit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ganlab", description="Train, evaluate and analyse GANs.", epilog=EXIT_CODES)
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    train.add_parser(sub, EXIT_CODES)
    listing.add_parser(sub)
    eval_command.add_parser(sub)
    dynamics.add_parser(sub)
    geometry.add_parser(sub)
    experiment.add_parser(sub)
    report.add_parser(sub)
    sweep_command.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version or a usage error (its one line is printed): a code, for callers in-process
        return int(done.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(args) or 0)
    except GanlabError as err:
        if args.debug:
            raise
        print(f"ganlab: error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `ganlab list … | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 — silence the flush at interpreter exit
        return 0
    except KeyboardInterrupt:
        print("ganlab: interrupted; the last checkpoint is intact (resume with ganlab train --resume RUN)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 — the last line of defence: one line, not a traceback
        if args.debug:
            raise
        first = (str(err).splitlines() or [""])[0][:200]
        print(f"ganlab: internal error: {type(err).__name__}: {first} (rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
