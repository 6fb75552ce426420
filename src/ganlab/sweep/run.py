"""``run_sweep``: plan every cell (all checks first), train the unfinished ones, write the table.

A sweep folder holds ``sweep.yaml`` (the SPEC as it was last run), one group folder per cell,
``results.csv`` / ``results.md`` and ``plots/``. Running the same SPEC again is the resume: a
finished cell (its summary written) is not touched, a started one resumes exactly from its
newest common checkpoint, and one killed before its config was written starts again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from ganlab.config import to_dict
from ganlab.errors import GanlabError
from ganlab.serial import atomic_write_bytes
from ganlab.sweep.executors import EXECUTORS, Task, ray_module, run_local, run_ray
from ganlab.sweep.results import write_results
from ganlab.sweep.spec import Plan, is_done, load_spec, plan


def prepare(spec_path: str | Path, out: str | Path | None = None) -> Plan:
    """The SPEC read and every cell checked (``--dry-run`` stops here); nothing is written."""
    return plan(load_spec(spec_path), spec_path, out)


def run_sweep(spec_path: str | Path, *, out: str | Path | None = None, executor: str = "local", workers: int | None = None,
              ray_address: str | None = None, cpus_per_cell: float = 1.0, gpus_per_cell: float | None = None,
              quiet: bool = False) -> Plan:  # fmt: skip
    """Train every unfinished cell of the SPEC (``local``: a process pool of ``workers``, default one per
    core; ``ray``: one Ray task per cell) and write results.csv, results.md and plots/ in its folder."""
    if executor not in EXECUTORS:
        raise GanlabError(f'unknown executor "{executor}"', f"choose one of: {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise GanlabError(f"--workers must be at least 1, got {workers}")
    if cpus_per_cell <= 0 or (gpus_per_cell is not None and gpus_per_cell < 0):
        raise GanlabError("--cpus-per-cell must be positive and --gpus-per-cell not negative")
    if executor != "ray" and (ray_address is not None or gpus_per_cell is not None or cpus_per_cell != 1.0):
        raise GanlabError("--ray-address, --cpus-per-cell and --gpus-per-cell are requests to Ray", "add --executor ray, or drop them")
    p = prepare(spec_path, out)
    if executor == "ray":
        ray_module()  # missing Ray is one line before any folder is written
    p.out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(p.out / "sweep.yaml", yaml.safe_dump(to_dict(p.spec), sort_keys=False, allow_unicode=True).encode())
    todo = [Task(c.name, str(c.path.resolve()), to_dict(c.config), c.state, c.config.train.runs, c.config.train.device.startswith("cuda"))
            for c in p.cells if c.state != "done"]  # fmt: skip
    failed: dict[str, str] = {}
    if todo:
        _execute(p, todo, failed, executor=executor, workers=workers, ray_address=ray_address, cpus=cpus_per_cell, gpus=gpus_per_cell,
                 quiet=quiet)  # fmt: skip
    write_results(p)
    unfinished = [c.name for c in p.cells if c.name not in failed and not is_done(c.path, c.config.train.runs)]
    if failed:
        name, err = next(iter(failed.items()))
        raise GanlabError(f"{len(failed)} of {len(p.cells)} cells failed; {name}: {err}",
                          "fix the cause and run the same command again: finished cells are kept")  # fmt: skip
    if unfinished:
        print(f"{len(unfinished)} cell(s) stopped before the end; run the same command again to resume them", file=sys.stderr)
    return p


def _execute(p: Plan, todo: list[Task], failed: dict[str, str], *, executor: str, workers: int | None, ray_address: str | None,
             cpus: float, gpus: float | None, quiet: bool) -> None:  # fmt: skip
    from tqdm import tqdm

    total = sum(c.config.train.runs for c in p.cells)
    bar = tqdm(total=total, initial=total - sum(t.runs for t in todo), unit="run", desc="sweep", disable=quiet, dynamic_ncols=True)

    def done(task: Task, result: dict) -> None:
        if result.get("error"):
            failed[task.name] = result["error"]
            bar.write(f"cell {task.name} failed: {result['error']}", file=sys.stderr)
        bar.update(task.runs)
        bar.set_postfix_str(f"{len(failed)} failed" if failed else task.name[-40:])

    try:
        if executor == "ray":
            run_ray(todo, done, address=ray_address, cpus=cpus, gpus=gpus)
        else:
            run_local(todo, done, workers=workers)
    finally:
        bar.close()
