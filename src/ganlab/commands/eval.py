"""``ganlab eval RUN``: evaluate a trained run with the metrics registry, print and save with protocol."""

from __future__ import annotations

import argparse
from typing import Any

from ganlab.commands import subcommand


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from ganlab.metrics import FEATURES, METRICS

    e = subcommand(subparsers, "eval", run, help="evaluate a trained run (FID, KID, IS, precision/recall, mode coverage, MRE, …)",
                   description="Evaluate a run's generator (EMA by default) against a split of its data set. "
                   "Default metrics and feature network are the data set's (`ganlab list datasets`).")  # fmt: skip
    e.add_argument("run", help="run folder (or a checkpoint file)")
    e.add_argument("--metrics", nargs="+", metavar="NAME", help=f"any of: {', '.join(METRICS.names())}")
    e.add_argument("--n", type=int, default=10_000, help="generated samples (default 10000)")
    e.add_argument("--seed", type=int, default=0, help="seed of the latent codes and metric subsets")
    e.add_argument("--features", metavar="NET", help=f"feature network: {', '.join(FEATURES.names())}")
    e.add_argument("--feature-weights", metavar="PATH", help="weights file of the feature network (inception)")
    e.add_argument(
        "--no-hash-check",
        action="store_true",
        help="accept Inception weights whose sha256 is not the FID network's (tests only: numbers are not FID)",
    )
    e.add_argument("--split", default="test", choices=["train", "val", "test"], help="reference split (default test)")
    e.add_argument("--out", metavar="FILE", help="write the result with its protocol as JSON")
    e.add_argument("--batch-size", type=int, default=500)
    e.add_argument("--device", default="cpu")
    e.add_argument("--no-ema", action="store_true", help="use the raw generator instead of its EMA")
    return e


def run(args: argparse.Namespace) -> int:
    """Load the run, evaluate, print one line per value, optionally save JSON. Returns the exit code."""
    from ganlab.api import load_run
    from ganlab.commands import checks
    from ganlab.metrics import save_result
    from ganlab.train.folder import GroupFolder

    # every argument is checked before the run is loaded and anything evaluated
    checks.at_least(args.n, 2, "--n")
    checks.at_least(args.batch_size, 1, "--batch-size")
    checks.device(args.device)
    if args.out:
        checks.output_file(args.out, "--out", (".json",))
    if args.feature_weights:
        checks.torch_file(args.feature_weights, "--feature-weights")
    if GroupFolder(args.run).is_group():
        return _run_group(args)
    result = _evaluate(load_run(args.run), args)
    proto = result["protocol"]
    nets = ", ".join(f"{f['name']} ({(f['sha256'] or 'no weights')[:12]})" for f in proto["features"]) or "none"
    print(
        f"{proto['dataset']} {proto['split']} split: {proto['n_real']} real, "
        f"{proto['n_generated']} generated, seed {proto['seed']}, features {nets}"
    )
    width = max((len(k) for k in result["values"]), default=0)
    for k, v in result["values"].items():
        print(f"  {k:<{width}}  {v:.6g}")
    if args.out:
        save_result(result, args.out)
        print(f"wrote {args.out}")
    return 0


def _evaluate(loaded: Any, args: argparse.Namespace) -> dict[str, Any]:
    from ganlab.metrics import evaluate

    G = loaded.G if args.no_ema or loaded.G_ema is None else loaded.G_ema
    feature_options: dict[str, Any] = {}
    if args.feature_weights:
        feature_options["weights"] = args.feature_weights
    if args.no_hash_check:
        feature_options["check_hash"] = False
    return evaluate(
        G, loaded.dataset, args.metrics, split=args.split, features=args.features, feature_options=feature_options, n=args.n,
        seed=args.seed, batch_size=args.batch_size, device=args.device, discriminator=loaded.D,
    )  # fmt: skip


def _run_group(args: argparse.Namespace) -> int:
    """Every run of a group with the same protocol; the values' mean ± std [95 % CI] over runs."""
    from ganlab.api import load_group
    from ganlab.serial import write_json
    from ganlab.stats import describe, text

    runs = [(r.config.train.seed, _evaluate(r, args)) for r in load_group(args.run)]
    names = list(dict.fromkeys(k for _, res in runs for k in res["values"]))
    summary = {name: describe([res["values"].get(name, float("nan")) for _, res in runs]) for name in names}
    print(f"{args.run}: {len(runs)} runs, {args.split} split, {args.n} generated each, seed {args.seed}")
    width = max((len(k) for k in names), default=0)
    for k in names:
        print(f"  {k:<{width}}  {text(summary[k], 4)}")
    if args.out:
        write_json(args.out, {"values": summary, "runs": [{"seed": s, **res} for s, res in runs]})
        print(f"wrote {args.out}")
    return 0
