"""``ganlab train`` (start, resume, --dry-run) and ``ganlab sample``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ganlab.commands import subcommand
from ganlab.errors import GanlabError


def add_parser(sub: Any, epilog: str) -> None:
    t = subcommand(sub, "train", run_train, help="train a GAN (default: the digits)", epilog=epilog,
                   description="Train a GAN. With no arguments: the embedded default, a GAN on the 8×8 digits.")
    t.add_argument("config", nargs="?", help="YAML file of overrides (see configs/)")
    t.add_argument("overrides", nargs="*", help="dotted overrides, e.g. train.lr_d=4e-4 game.objective=hinge")
    t.add_argument("--out", help="run folder (default runs/DATA-OBJECTIVE-TIME)")
    t.add_argument("--resume", metavar="RUN", help="continue RUN from its newest checkpoint")
    t.add_argument("--force", action="store_true", help="resume even though the config changed")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.add_argument("--dry-run", action="store_true", help="print the resolved config and check it, do not train")
    t.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    s = subcommand(sub, "sample", run_sample, help="draw samples from a trained run")
    s.add_argument("run", help="run folder (or a checkpoint file)")
    s.add_argument("--n", type=int, default=64, help="number of samples")
    s.add_argument("--out", default="samples.png", help=".png for a picture, .npy for the raw array")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--no-ema", action="store_true", help="use the raw generator instead of its EMA")
    s.add_argument("--class", dest="cls", type=int, metavar="C",
                   help="conditional runs: samples of class C only (default: one row per class)")  # fmt: skip


def _exists(text: str) -> bool:
    try:
        return Path(text).exists()
    except OSError:  # a name too long for a path is an override, not a file
        return False


def run_train(args: argparse.Namespace) -> int:
    from ganlab.api import dry_run, resume, train
    from ganlab.config import make_config, to_dict

    if args.resume:
        if args.out is not None:
            raise GanlabError(f"--out cannot be combined with --resume: {args.resume} is trained further in its own folder",
                              "drop --out (copy the folder first to branch a run off it)")  # fmt: skip
        if args.overwrite:
            raise GanlabError("--overwrite cannot be combined with --resume", "drop one of them")
        if args.config and "=" not in args.config:
            raise GanlabError(
                "a config file cannot be given with --resume", "the run keeps its own config; pass key=value overrides instead"
            )
        overrides = ([args.config] if args.config else []) + list(args.overrides)
        if args.dry_run:
            raise GanlabError("--dry-run cannot be combined with --resume", "drop one of them")
        out = resume(args.resume, overrides, force=args.force, quiet=args.quiet)
    else:
        config, overrides = args.config, list(args.overrides)
        if config is not None and "=" in config and not _exists(config):
            config, overrides = None, [config, *overrides]
        cfg = make_config(config, overrides)
        if args.dry_run:
            from ganlab.serial import dump_yaml

            print(dump_yaml(to_dict(cfg)), end="")
            dry_run(cfg, args.out, args.overwrite)
            return 0
        out = train(cfg, args.out, overwrite=args.overwrite, quiet=args.quiet)
    if not args.quiet and os.environ.get("RANK", "0") == "0":  # one summary per torchrun job
        from ganlab.stats import text
        from ganlab.train.folder import GroupFolder, RunFolder

        group = GroupFolder(out)
        if group.is_group():
            summary = group.read_summary()
            print(f"group folder: {out} ({len(group.runs())} runs, one folder per seed)")
            if summary is not None:
                print("metrics (mean ± std [95 % CI] over runs): " + ", ".join(f"{k}={text(d, 4)}" for k, d in summary["values"].items()))
                if summary["n_diverged"]:
                    print(f"{summary['n_diverged']} run(s) diverged: see {group.summary_md}")
            return 0
        print(f"run folder: {out}")
        metrics = RunFolder(out).read_metrics()
        if metrics is not None:
            def line(values: dict) -> str:
                return ", ".join(f"{k}={v:.4g}" for k, v in values.items() if isinstance(v, (int, float)))

            print(("metrics (EMA generator): " if "raw" in metrics else "metrics: ") + line(metrics.get("values", {})))
            if "raw" in metrics:
                print("metrics (raw generator): " + line(metrics["raw"]["values"]))
            if metrics.get("floor", {}).get("values"):
                print("data floor (held-out training images, same metrics): " + line(metrics["floor"]["values"]))
    return 0


SAMPLE_SUFFIXES = (".png", ".jpg", ".jpeg", ".pdf", ".svg", ".npy")  # pictures matplotlib writes; .npy the raw array


def run_sample(args: argparse.Namespace) -> int:

    from ganlab.api import load_run
    from ganlab.commands import checks
    from ganlab.train.folder import GroupFolder
    from ganlab.train.hooks import draw_latent, save_samples

    checks.at_least(args.n, 1, "--n")
    out = checks.output_file(args.out, "--out", SAMPLE_SUFFIXES)
    if GroupFolder(args.run).is_group():
        return _sample_group(args, out)
    run = load_run(args.run)
    G = run.G if args.no_ema else run.G_eval
    labels = class_labels(G, args.cls, args.n, args.run)
    z = draw_latent(G, args.n, args.seed)
    if out.suffix.lower() == ".npy":
        import numpy as np

        from ganlab.metrics import generate_labelled

        np.save(out, generate_labelled(G, args.n, seed=args.seed, labels=labels)[0].numpy())
    else:
        title = f"{run.path.name}, step {run.step}" + (f", class {args.cls}" if args.cls is not None else "")
        save_samples(G, z, run.dataset, out, title, labels=labels)
    print(f"wrote {out}")
    return 0


def class_labels(G: Any, cls: int | None, n: int, run: str) -> Any:
    """n labels of class ``cls`` for a conditional G (None: its default, a class-by-row grid);
    a one-line error for --class on an unconditional run or a class out of range."""
    k = getattr(G, "n_classes", None)
    if cls is None:
        return None
    if not k:
        raise GanlabError(f"--class {cls}: {run} is an unconditional run", "drop --class, or train with model.conditional=true")
    if not 0 <= cls < k:
        raise GanlabError(f"--class {cls} is out of range: {run} has classes 0 … {k - 1}", f"pass --class between 0 and {k - 1}")
    import torch

    return torch.full((n,), cls, dtype=torch.long)


def _sample_group(args: argparse.Namespace, out: Path) -> int:
    """The same z through every run of a group: one row of images (or one scatter panel) per run;
    .npy: an array (runs, n, …)."""
    import numpy as np
    import torch

    from ganlab import plots
    from ganlab.api import load_group

    runs = load_group(args.run)
    if not runs:
        raise GanlabError(f"{args.run} is a group without finished runs", "train it first")
    from ganlab.metrics import generate_labelled

    labels = class_labels(runs[0].G, args.cls, args.n, args.run)
    xs = [generate_labelled(r.G if args.no_ema else r.G_eval, args.n, seed=args.seed, labels=labels)[0] for r in runs]
    if out.suffix.lower() == ".npy":
        np.save(out, torch.stack(xs).numpy())
    elif runs[0].dataset.kind == "points":
        plots.save_scatter_panels([(f"seed {r.config.train.seed}", x) for r, x in zip(runs, xs)], runs[0].dataset.centres, out,
                                  cols=min(6, len(xs)))  # fmt: skip
    else:
        n = min(args.n, 16)
        plots.save_image_grid(torch.cat([x[:n] for x in xs]), out, nrow=n, title=f"{Path(args.run).name}: one row per seed")
    print(f"wrote {out}")
    return 0
