"""Command line: parse, build a config, call the API, print. Nothing else lives here."""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import typing
from collections.abc import Sequence
from pathlib import Path

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


def _first_line(obj: object) -> str:
    # the first paragraph, joined: a summary that wraps in the source stays whole
    doc = (inspect.getdoc(obj) or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


def _registries() -> dict:
    from ganlab.data import DATASETS
    from ganlab.game import CONSTRAINTS, OBJECTIVES, PENALTIES

    regs = {"objectives": OBJECTIVES, "penalties": PENALTIES, "constraints": CONSTRAINTS, "datasets": DATASETS}
    try:
        from ganlab.metrics import FEATURES, METRICS

        regs.update(metrics=METRICS, features=FEATURES)
    except ImportError:
        pass
    return regs


# --- train -------------------------------------------------------------------------------
def _cmd_train(args: argparse.Namespace) -> int:
    from ganlab.config import make_config, to_dict
    from ganlab.train import resume, train

    if args.resume:
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
        if config is not None and "=" in config and not Path(config).exists():
            config, overrides = None, [config, *overrides]
        cfg = make_config(config, overrides)
        if args.dry_run:
            import yaml

            print(yaml.safe_dump(to_dict(cfg), sort_keys=False), end="")
            from ganlab.train import Trainer
            from ganlab.train.run import build, check, check_out_folder

            # everything a run checks before its first step, without training or writing
            dataset, game, G, D = build(cfg)
            check(cfg, dataset)
            Trainer(G, D, game, dataset.train, cfg.train)
            if args.out:
                check_out_folder(Path(args.out), args.overwrite)
            return 0
        out = train(cfg, args.out, overwrite=args.overwrite, quiet=args.quiet)
    if not args.quiet and os.environ.get("RANK", "0") == "0":  # one summary per torchrun job
        print(f"run folder: {out}")
        metrics = Path(out) / "metrics.json"
        if metrics.exists():
            import json

            values = json.loads(metrics.read_text()).get("values", {})
            print("metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in values.items() if isinstance(v, (int, float))))
    return 0


# --- sample ------------------------------------------------------------------------------
def _cmd_sample(args: argparse.Namespace) -> int:
    import torch

    from ganlab.train import load_run
    from ganlab.train.run import save_samples

    if args.n < 1:
        raise GanlabError(f"--n must be at least 1, got {args.n}")
    run = load_run(args.run)
    G = run.G if args.no_ema else run.G_eval
    z = torch.randn(args.n, G.z_dim, generator=torch.Generator().manual_seed(args.seed))
    out = Path(args.out)
    if out.suffix.lower() == ".npy":
        import numpy as np

        with torch.no_grad():
            np.save(out, G(z).numpy())
    else:
        save_samples(G, z, run.dataset, out, f"{run.path.name}, step {run.step}")
    print(f"wrote {out}")
    return 0


# --- list --------------------------------------------------------------------------------
def _cmd_list(args: argparse.Namespace) -> int:
    regs = _registries()
    what = args.what or list(regs)
    for name in what if isinstance(what, list) else [what]:
        if name not in regs:
            from ganlab.registry import did_you_mean

            raise GanlabError(f'nothing called "{name}" to list{did_you_mean(name, list(regs))}', f"choose one of: {', '.join(regs)}")
        reg = regs[name]
        print(f"{name}:")
        width = max((len(k) for k in reg.names()), default=0)
        for key, obj in reg.items():
            print(f"  {key:<{width}}  {_first_line(obj)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ganlab", description="Train, evaluate and analyse GANs.", epilog=EXIT_CODES)
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser(
        "train",
        help="train a GAN (default: the digits)",
        description="Train a GAN. With no arguments: the embedded default, a GAN on the 8×8 digits.",
        epilog=EXIT_CODES,
    )
    t.add_argument("config", nargs="?", help="YAML file of overrides (see configs/)")
    t.add_argument("overrides", nargs="*", help="dotted overrides, e.g. train.lr_d=4e-4 game.objective=hinge")
    t.add_argument("--out", help="run folder (default runs/DATA-OBJECTIVE-TIME)")
    t.add_argument("--resume", metavar="RUN", help="continue RUN from its newest checkpoint")
    t.add_argument("--force", action="store_true", help="resume even though the config changed")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.add_argument("--dry-run", action="store_true", help="print the resolved config and check it, do not train")
    t.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    t.set_defaults(func=_cmd_train)

    s = sub.add_parser("sample", help="draw samples from a trained run")
    s.add_argument("run", help="run folder (or a checkpoint file)")
    s.add_argument("--n", type=int, default=64, help="number of samples")
    s.add_argument("--out", default="samples.png", help=".png for a picture, .npy for the raw array")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--no-ema", action="store_true", help="use the raw generator instead of its EMA")
    s.set_defaults(func=_cmd_sample)

    li = sub.add_parser("list", help="list registered objectives, penalties, constraints, …")
    li.add_argument("what", nargs="?", help="objectives | penalties | constraints | datasets | metrics | features")
    li.set_defaults(func=_cmd_list)

    commands = ("metrics.command", "dynamics.command", "geometry.command", "experiments.command", "report")
    for module in (f"ganlab.{c}" for c in commands):
        try:
            mod = __import__(module, fromlist=["add_parser"])
        except ImportError:
            continue
        if hasattr(mod, "add_parser"):
            mod.add_parser(sub)
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
