"""The sub-commands of ``ganlab``: each module adds its parser (``add_parser``) and runs it (``run``).

They parse and print; the work is the API's (``ganlab.api``, ``metrics``, ``dynamics``,
``experiments``, ``report``), imported when a command runs so that ``ganlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def subcommand(sub: Any, name: str, run: Callable[[argparse.Namespace], int], *, help: str, description: str | None = None,
               epilog: str | None = None) -> argparse.ArgumentParser:  # fmt: skip
    """A sub-command's parser, dispatching to ``run(args)``."""
    p = sub.add_parser(name, help=help, description=description or help, epilog=epilog)
    p.set_defaults(func=run)
    return p
