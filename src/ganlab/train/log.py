"""Loss records: running means kept on the device, read back only at the logging cadence."""

from __future__ import annotations

from pathlib import Path

import torch

from ganlab.serial import jsonl_line


class TermMeter:
    """Named loss terms since the last flush, kept as device tensors: adding one costs a
    detach and a list append, nothing synchronises with the device until ``flush`` or
    ``divergence``, and the first non-finite value is found with its exact step."""

    def __init__(self) -> None:
        self.values: dict[str, list[torch.Tensor]] = {}
        self.steps: dict[str, list[int]] = {}

    def add(self, prefix: str, terms: dict[str, torch.Tensor], step: int) -> None:
        for key, value in terms.items():
            name = f"{prefix}/{key}"
            self.values.setdefault(name, []).append(value.detach())
            self.steps.setdefault(name, []).append(step)

    def divergence(self) -> tuple[str, int] | None:
        """(term, step) of the earliest non-finite value since the last flush, or None."""
        bad = self.divergence_per_run()
        return min(bad.values(), key=lambda ts: ts[1]) if bad else None

    def divergence_per_run(self) -> dict[int, tuple[str, int]]:
        """Run index → (term, step) of its earliest non-finite value since the last flush (a
        lone run is run 0; a group's terms hold one value per run)."""
        worst: dict[int, tuple[str, int]] = {}
        for name, vals in self.values.items():
            values = torch.stack(vals).float().reshape(len(vals), -1)  # (steps, runs)
            for row, run in (~torch.isfinite(values)).nonzero().tolist():
                s = self.steps[name][row]
                if run not in worst or s < worst[run][1]:
                    worst[run] = (name, s)
        return worst

    def flush(self) -> dict[str, float | list[float]]:
        """Means since the last flush: a float per term, or a list (one per run) for a group."""
        out: dict[str, float | list[float]] = {}
        for k, v in self.values.items():
            m = torch.stack(v).float().mean(0)
            out[k] = float(m.item()) if m.dim() == 0 else m.tolist()
        self.values, self.steps = {}, {}
        return out

    def state_dict(self) -> dict:
        return {"values": {k: torch.stack(v).float().cpu() for k, v in self.values.items()}, "steps": dict(self.steps)}

    def load_state_dict(self, state: dict, device: torch.device | str = "cpu") -> None:
        self.values = {k: list(v.to(device).unbind(0)) for k, v in state["values"].items()}
        self.steps = {k: [int(s) for s in v] for k, v in state["steps"].items()}


class JsonlLog:
    """Append-only JSON-lines file (strict JSON: NaN is null, ``ganlab.serial``); on resume it is
    cut back to the lines the checkpoint knew, so records are neither lost nor duplicated."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lines = 0
        if self.path.exists():
            self.lines = sum(1 for _ in self.path.open("rb"))

    def write(self, record: dict) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(jsonl_line(record) + "\n")
            f.flush()
        self.lines += 1
