"""N runs trained as one batched model (``train.runs = N``), each written as an ordinary run folder.

Run i of a group has seed ``train.seed + i``: its networks are initialised as a lone run with
that seed would initialise them, it draws its own data order, noise and interpolates, and its
folder ``seed-S/`` holds the usual config, log, samples, checkpoints and metrics.json —
``ganlab sample``, ``eval``, ``report`` and ``load_run`` work on it. The group folder adds
``summary.json`` / ``summary.md``: mean, sample std and a 95 % interval of every metric over
the runs, and which runs diverged (they were frozen at their last finite weights while the
others trained on). ``--resume GROUP`` continues every run from its newest common checkpoint.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from ganlab.api.common import finish, fit, make_trainer, nets_for, run_hooks
from ganlab.config import RESUMABLE_CHANGES, Config, check_data, diff, make_config, to_dict
from ganlab.data import Dataset, load_dataset
from ganlab.errors import GanlabError
from ganlab.game import Game
from ganlab.game.factory import make_game
from ganlab.nets.stacked import stack
from ganlab.resources import check_memory
from ganlab.serial import atomic_write_bytes, dump_yaml, write_json
from ganlab.stats import describe, text
from ganlab.train import distributed
from ganlab.train.checkpoint import list_checkpoints, load_checkpoint
from ganlab.train.folder import GroupFolder, RunFolder, build_atomically, clean_partials
from ganlab.train.grouphooks import GroupHooks, RunView
from ganlab.train.hooks import RunHooks
from ganlab.train.lock import lock_folder
from ganlab.train.optim import set_learning_rates
from ganlab.train.state import threads
from ganlab.train.trainer import Trainer, resolve_device

CONVENTION = "mean and sample std (ddof 1) over the runs that did not diverge; 95 % interval of the mean, Student t"


def run_config(cfg: Config, i: int) -> Config:
    """Run i of a group as a lone run's config (train.runs = 1, train.seed = seed + i)."""
    return dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, runs=1, seed=cfg.train.seed + i))


def build_group(cfg: Config) -> tuple[Dataset, Game, torch.nn.Module, torch.nn.Module]:
    """Data, game and the stacked networks of a group: run i's initialised as a lone run with seed + i."""
    game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
    dataset = load_dataset(cfg.data)
    check_size(cfg, dataset, game)  # × train.runs
    Gs, Ds = [], []
    for i in range(cfg.train.runs):
        torch.manual_seed(cfg.train.seed + i)
        G, D = nets_for(cfg, dataset, game)
        Gs.append(G)
        Ds.append(D)
    return dataset, game, stack(Gs), stack(Ds)


def batching_pays(cfg: Config, dataset: Dataset, game: Game) -> bool:
    """Whether a group of these nets trains faster per run than its runs one after another.

    Decided by measurement (benchmarks/RESULTS.md, ``group_throughput.py``): on a GPU a group
    always pays; on a CPU a group of MLPs costs 0.5–0.9× per run of a lone run (ring8, N = 2 … 64),
    but a group of convolutional nets gains nothing (the digits DCGAN: 0.94–1.04× with the
    convolutions split per run, which are ≈ 70 % of a step; a CPU convolution is bound by its
    arithmetic), so there the lone runs, the reference, are kept."""
    if resolve_device(cfg.train.device).type != "cpu":
        return True
    with torch.device("meta"):
        G, D = nets_for(cfg, dataset, game)
    return not any(isinstance(m, torch.nn.modules.conv._ConvNd) for net in (G, D) for m in net.modules())


def check_size(cfg: Config, dataset: Dataset, game: Game) -> None:
    """Refuse networks too large for the device before allocating them (× train.runs): they are
    built on the meta device (shapes only, no memory, no random numbers drawn) and counted."""
    with torch.device("meta"):
        G, D = nets_for(cfg, dataset, game)
    check_memory(cfg, sum(p.numel() for p in G.parameters()), sum(p.numel() for p in D.parameters()))


def _hooks(folder: GroupFolder, cfg: Config, dataset: Dataset, trainer: Trainer, states: list[dict] | None) -> GroupHooks:
    runs = []
    for i in range(cfg.train.runs):
        rc = run_config(cfg, i)
        h: RunHooks = run_hooks(folder.run(rc.train.seed), rc, dataset, trainer, states[i] if states else None)
        runs.append(h)
    return GroupHooks(runs)


def _refuse_distributed() -> None:
    if distributed.from_env().enabled:
        raise GanlabError("a group of runs (train.runs > 1) trains in one process", "launch without torchrun, or use train.runs=1")


def train_group(cfg: Config, out: Path, *, overwrite: bool, quiet: bool) -> Path:
    """Start a group in ``out`` and train every run to the end."""
    _refuse_distributed()
    folder = GroupFolder(out)
    RunFolder(out).check_new(overwrite)
    dataset, game, G, D = build_group(cfg)
    check_data(cfg, dataset)
    trainer = make_trainer(cfg, dataset, game, G, D)

    def fill(tmp: Path) -> None:
        new = GroupFolder(tmp)
        for i in range(cfg.train.runs):
            rc = run_config(cfg, i)
            run = new.run(rc.train.seed)
            run.path.mkdir()
            run.write_config(to_dict(rc))
            run.make_dirs()
        atomic_write_bytes(new.config, _yaml(cfg))

    with build_atomically(folder.path, overwrite, fill):  # the group's lock, held to the end of the run
        hooks = _hooks(folder, cfg, dataset, trainer, None)
        finished = fit(trainer, hooks, None, quiet)
        return _end(trainer, hooks, folder, dataset, game, finished)


def _yaml(cfg: Config) -> bytes:
    return dump_yaml(to_dict(cfg)).encode()


def _end(trainer: Trainer, hooks: GroupHooks, folder: GroupFolder, dataset: Dataset, game: Game, finished: bool) -> Path:
    if not finished:
        print(f"stopped at step {trainer.step}; checkpoints saved. Resume with: ganlab train --resume {folder.path}", file=sys.stderr)
        return folder.path
    for i, h in enumerate(hooks.runs):
        finish(RunView(trainer, i), h, dataset, game)
    summarize_group(folder, diverged={trainer.cfg.seed + i: ts for i, ts in trainer.frozen.runs.items()})
    return folder.path


def _common_states(folder: GroupFolder, seeds: Sequence[int]) -> list[dict] | None:
    """Each run's state at the newest step every live run has a loadable checkpoint of
    (a run frozen after diverging contributes its last checkpoint, whatever its step)."""
    steps_of = {s: {st for st, _ in list_checkpoints(folder.run(s).checkpoints)} for s in seeds}
    if not any(steps_of.values()):
        return None
    frozen: dict[int, dict] = {}
    for s in seeds:
        found = sorted(steps_of[s], reverse=True)
        if found:
            last = load_checkpoint(folder.run(s).checkpoint_path(found[0]))
            if last.get("diverged"):
                frozen[s] = last
    live = [s for s in seeds if s not in frozen]
    common = set.intersection(*(steps_of[s] for s in live)) if live else set()
    for step in sorted(common, reverse=True):
        try:
            states = {s: load_checkpoint(folder.run(s).checkpoint_path(step)) for s in live}
        except GanlabError as err:
            print(f"warning: skipped step {step}: {err.problem}", file=sys.stderr)
            continue
        return [frozen[s] if s in frozen else states[s] for s in seeds]
    raise GanlabError(f"the runs of {folder.path} share no loadable checkpoint step", "start the group again with --overwrite")


def resume_group(folder: GroupFolder, overrides: Sequence[str], *, force: bool, quiet: bool) -> Path:
    """Continue every run of a group from its newest common checkpoint, exactly."""

    _refuse_distributed()
    with lock_folder(folder.path, "group folder"):
        saved = RunFolder(folder.path).read_config()
        cfg = make_config(base=saved, overrides=overrides)
        with threads(cfg.train.threads):
            return _resume_group(folder, saved, cfg, force=force, quiet=quiet)


def _resume_group(folder: GroupFolder, saved: dict, cfg: Config, *, force: bool, quiet: bool) -> Path:
    changed = [k for k in diff(to_dict(make_config(base=saved)), to_dict(cfg)) if k not in RESUMABLE_CHANGES]
    if changed and not force:
        raise GanlabError(f"resuming {folder.path} with a changed config ({', '.join(changed)})",
                          "resume with the original settings, or pass --force to continue with the new ones")  # fmt: skip
    seeds = [cfg.train.seed + i for i in range(cfg.train.runs)]
    states = _common_states(folder, seeds)
    dataset, game, G, D = build_group(cfg)
    check_data(cfg, dataset)
    trainer = make_trainer(cfg, dataset, game, G, D)
    if states is not None:
        try:
            trainer.load_state_dict(states)
        except (RuntimeError, KeyError, ValueError, TypeError) as err:
            raise GanlabError(f"the checkpoints of {folder.path} do not fit this config ({str(err).splitlines()[0][:120]})",
                              "resume with the config the group was made with") from None  # fmt: skip
        for i, st in enumerate(states):
            if st.get("diverged"):
                trainer.frozen.runs[i] = (st["diverged"]["term"], int(st["diverged"]["step"]))
        trainer.frozen.remember(list(range(cfg.train.runs)))
    else:
        print(f"warning: {folder.path} has no checkpoint yet; training it from step 0", file=sys.stderr)
    hooks = _hooks(folder, cfg, dataset, trainer, states)
    hooks.restore(states)
    clean_partials(folder.path)  # the group's own files (summary, config) written atomically too
    hooks.reported = set(trainer.frozen.runs)
    for i, h in enumerate(hooks.runs):
        h.folder.write_config(to_dict(run_config(cfg, i)))
    atomic_write_bytes(folder.config, _yaml(cfg))
    set_learning_rates(trainer.opt_d, trainer.opt_g, cfg.train, 1.0)
    if trainer.step >= cfg.train.steps:
        if not quiet:
            print(f"{folder.path} already reached step {trainer.step}; raise train.steps to train further", file=sys.stderr)
        return _end(trainer, hooks, folder, dataset, game, True)
    return _end(trainer, hooks, folder, dataset, game, fit(trainer, hooks, None, quiet))


def summarize_group(folder: GroupFolder | str | Path, diverged: dict[int, tuple[str, int]] | None = None) -> dict[str, Any]:
    """summary.json and summary.md of a group: every metric's mean, sample std and 95 %
    interval (Student t) over the runs that did not diverge, and each run's values."""
    folder = folder if isinstance(folder, GroupFolder) else GroupFolder(folder)
    rows, values = [], {}
    for run in folder.runs():
        cfg = run.read_config()
        seed = int(cfg["train"]["seed"])
        metrics = run.read_metrics() or {}
        bad = (diverged or {}).get(seed) or _diverged_in_log(run)
        rows.append({"seed": seed, "diverged": None if not bad else {"term": bad[0], "step": bad[1]},
                     "values": metrics.get("values", {})})  # fmt: skip
        if not bad:
            for k, v in metrics.get("values", {}).items():
                values.setdefault(k, []).append(v if isinstance(v, (int, float)) else float("nan"))
    summary = {"runs": rows, "n_runs": len(rows), "n_diverged": sum(r["diverged"] is not None for r in rows),
               "values": {k: describe(v) for k, v in values.items()},
               "convention": CONVENTION}  # fmt: skip
    write_json(folder.summary, summary)
    lines = [f"# {folder.path.name}: {len(rows)} runs ({summary['n_diverged']} diverged)", "",
             "| metric | mean ± std [95 % interval] | n |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {k} | {text(d)} | {d['n']} |" for k, d in summary["values"].items()]
    dead = [r for r in rows if r["diverged"]]
    if dead:
        lines += ["", "Diverged (frozen at their last finite weights): "
                  + ", ".join(f"seed {r['seed']} ({r['diverged']['term']} at step {r['diverged']['step']})" for r in dead)]  # fmt: skip
    atomic_write_bytes(folder.summary_md, ("\n".join(lines) + "\n").encode())
    return summary


def _diverged_in_log(run: RunFolder) -> tuple[str, int] | None:
    from ganlab.serial import read_jsonl

    for r in read_jsonl(run.log):
        if r.get("event") == "diverged":
            return str(r.get("term")), int(r.get("diverged_at", r.get("step", 0)))
    return None
