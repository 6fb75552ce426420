"""Loss records: running means kept on the device, read back only at the logging cadence."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch


class TermMeter:
    """Sums of named loss terms since the last flush, and the first step at which each went
    non-finite. Nothing here synchronises with the device until ``flush``."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}
        self.first_bad: dict[str, torch.Tensor] = {}

    def add(self, prefix: str, terms: dict[str, torch.Tensor], step: int) -> None:
        for key, value in terms.items():
            name = f"{prefix}/{key}"
            v = value.detach().float()
            self.sums[name] = self.sums.get(name, 0) + v
            self.counts[name] = self.counts.get(name, 0) + 1
            bad = ~torch.isfinite(v)
            prev = self.first_bad.get(name)
            stamp = torch.full_like(v, float(step))
            none = torch.full_like(v, -1.0)
            cur = torch.where(bad, stamp, none)
            self.first_bad[name] = cur if prev is None else torch.where(prev >= 0, prev, cur)

    def divergence(self) -> tuple[str, int] | None:
        """(term, step) of the earliest non-finite value since the last flush, or None."""
        worst: tuple[str, int] | None = None
        for name, t in self.first_bad.items():
            s = int(t.item())
            if s >= 0 and (worst is None or s < worst[1]):
                worst = (name, s)
        return worst

    def flush(self) -> dict[str, float]:
        out = {k: float(v.item()) / self.counts[k] for k, v in self.sums.items()}
        self.sums, self.counts, self.first_bad = {}, {}, {}
        return out

    def state_dict(self) -> dict:
        return {
            "sums": {k: torch.as_tensor(v).detach().cpu() for k, v in self.sums.items()},
            "counts": dict(self.counts),
            "first_bad": {k: v.detach().cpu() for k, v in self.first_bad.items()},
        }

    def load_state_dict(self, state: dict, device: torch.device | str = "cpu") -> None:
        self.sums = {k: v.to(device) for k, v in state["sums"].items()}
        self.counts = {k: int(v) for k, v in state["counts"].items()}
        self.first_bad = {k: v.to(device) for k, v in state["first_bad"].items()}


class JsonlLog:
    """Append-only JSON-lines file; on resume it is cut back to the lines the checkpoint knew,
    so records are neither lost nor duplicated."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lines = 0
        if self.path.exists():
            self.lines = sum(1 for _ in self.path.open())

    def write(self, record: dict) -> None:
        clean = {k: (v if not isinstance(v, float) or math.isfinite(v) else str(v)) for k, v in record.items()}
        with self.path.open("a") as f:
            f.write(json.dumps(clean) + "\n")
            f.flush()
        self.lines += 1

    def truncate(self, lines: int) -> None:
        if not self.path.exists():
            self.lines = 0
            return
        kept = self.path.read_text().splitlines(keepends=True)[:lines]
        self.path.write_text("".join(kept))
        self.lines = len(kept)


def read_jsonl(path: str | Path) -> list[dict]:
    """All records of a JSON-lines file (a torn last line from a crash is ignored)."""
    out = []
    p = Path(path)
    if not p.exists():
        return out
    for line in p.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
