"""``ganlab list [WHAT]``: the registered objectives, penalties, constraints, data sets, metrics, …"""

from __future__ import annotations

import argparse
import inspect
from typing import Any

from ganlab.commands import subcommand
from ganlab.errors import GanlabError
from ganlab.registry import did_you_mean


def add_parser(sub: Any) -> None:
    li = subcommand(sub, "list", run, help="list registered objectives, penalties, constraints, …")
    li.add_argument("what", nargs="?", help="objectives | penalties | constraints | datasets | metrics | features")


def summary(obj: object) -> str:
    """What a registered thing says of itself: its ``summary``, or its docstring's first paragraph, joined."""
    text = getattr(obj, "summary", None)
    if isinstance(text, str):
        return text
    doc = (inspect.getdoc(obj) or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


def registries() -> dict:
    from ganlab.data import DATASETS
    from ganlab.game import CONSTRAINTS, OBJECTIVES, PENALTIES
    from ganlab.metrics import FEATURES, METRICS

    return {"objectives": OBJECTIVES, "penalties": PENALTIES, "constraints": CONSTRAINTS, "datasets": DATASETS,
            "metrics": METRICS, "features": FEATURES}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    regs = registries()
    what = [args.what] if args.what else list(regs)
    for name in what:
        if name not in regs:
            raise GanlabError(f'nothing called "{name}" to list{did_you_mean(name, list(regs))}', f"choose one of: {', '.join(regs)}")
        reg = regs[name]
        print(f"{name}:")
        width = max((len(k) for k in reg.names()), default=0)
        for key, obj in reg.items():
            print(f"  {key:<{width}}  {summary(obj)}")
    return 0
