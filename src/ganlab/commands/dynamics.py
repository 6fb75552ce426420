"""``ganlab dynamics``: one Dirac-GAN run, or seed 004's whole table.

    ganlab dynamics --objective non_saturating --penalty r1:gamma=1 --method alternating --lr 0.1
    ganlab dynamics --table --out runs/dirac --json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ganlab.commands import subcommand
from ganlab.errors import GanlabError
from ganlab.serial import dumps, load_yaml_text


def parse_named(text: str, what: str) -> str | dict[str, Any]:
    """``"gp"`` → "gp";  ``"gp:center=0,lam=1"`` (or ``gp:center=0:lam=1``) → {"name": "gp", "center": 0, "lam": 1}."""
    import yaml

    name, _, rest = text.partition(":")
    if not name:
        raise GanlabError(f"{what} {text!r} has no name", f"write e.g. --{what} gp:center=0")
    if not rest:
        return name
    out: dict[str, Any] = {"name": name}
    for item in rest.replace(":", ",").split(","):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise GanlabError(f"{what} {text!r}: {item!r} is not key=value", f"write e.g. --{what} {name}:key=value")
        try:
            out[key.strip()] = load_yaml_text(value)  # numbers, booleans and words, as in configs
        except yaml.YAMLError:
            raise GanlabError(f"{what} {text[:60]!r}: cannot read the value of {key.strip()[:40]!r}",
                              "write plain numbers or words") from None  # fmt: skip
    return out


def parse_params(items: list[str]) -> dict[str, Any]:
    """``["distance=l2", "lam=5"]`` → {"distance": "l2", "lam": 5}."""
    parsed = parse_named("objective:" + ",".join(items), "param") if items else "objective"
    return {} if isinstance(parsed, str) else {k: v for k, v in parsed.items() if k != "name"}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subcommand(subparsers, "dynamics", run, help="Dirac-GAN dynamics: vector field, eigenvalues, verdict, phase portraits",
                   description="Simulate the Dirac GAN of a game (real data a point at 0, G a point θ, linear D), "
                   "or reproduce seed 004's table with --table.")  # fmt: skip
    p.add_argument("--table", action="store_true", help="run seed 004's table and every registered objective")
    p.add_argument("--objective", help="objective name (see `ganlab list objectives`)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="objective parameter, repeatable")
    p.add_argument("--penalty", action="append", default=[], metavar="NAME[:k=v,…]", help="e.g. r1:gamma=1, gp:center=0; repeatable")
    p.add_argument("--constraint", action="append", default=[], metavar="NAME[:k=v,…]", help="e.g. clip:c=0.5")
    p.add_argument("--normalise", action="store_true", help="D(x) = φ·x/‖φ‖ (WGAN with a hard Lipschitz constraint)")
    p.add_argument("--method", default="ode", choices=["ode", "simultaneous", "alternating"])
    p.add_argument("--steps", type=int, default=800, help="updates (discrete) or samples (ODE); time = steps × lr")
    p.add_argument("--lr", type=float, default=0.25, help="step size of both players (ODE: sampling interval)")
    p.add_argument("--lr-d", type=float, default=None, help="D's step size (TTUR)")
    p.add_argument("--lr-g", type=float, default=None, help="G's step size (TTUR)")
    p.add_argument("--n-critic", type=int, default=1, help="D updates per G update")
    p.add_argument("--ema", type=float, default=0.999, help="EMA decay of θ per sample")
    p.add_argument("--k", type=int, default=2, help="dimension of the data space (≥ 2 shows WGAN and GAN-QP)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes for --table (default up to 2)")
    p.add_argument("--out", help="folder for the JSON record, markdown table and portraits (PNG)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def check_steps(steps: int, k: int) -> None:
    """Refuse --steps whose path arrays would not fit in memory: the path, θ and its EMA are
    float64 arrays of (steps + 1) rows of the 2k coordinates (θ, φ), kept about 4 times over."""
    from ganlab.resources import available_memory

    need = (steps + 1) * (2 * k + 2) * 8 * 4
    free, where = available_memory("cpu")
    if free is not None and need > free:
        raise GanlabError(f"--steps {steps} needs about {need / 2**30:.1f} GiB for the path, and {where} has {free / 2**30:.1f} GiB free",
                          "lower --steps (raise --lr for the same time span)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from ganlab.commands import checks
    from ganlab.dynamics.simulate import Settings, run_named

    checks.at_least(args.k, 1, "--k")
    checks.at_least(args.jobs, 1, "--jobs")
    check_steps(args.steps, args.k)
    if args.out is not None:
        checks.output_folder(args.out)  # before the simulation, not after it

    settings = Settings(method=args.method, steps=args.steps, lr=args.lr, lr_d=args.lr_d, lr_g=args.lr_g,
                        n_critic=args.n_critic, ema=args.ema)
    if args.table:
        from ganlab.dynamics.table import run_table

        if args.objective or args.penalty or args.param or args.constraint:
            raise GanlabError("--table runs its own list of games", "drop --objective/--penalty/--param/--constraint")
        quiet = args.json
        result = run_table(args.out, jobs=args.jobs, progress=None if quiet else lambda m: print(m, file=sys.stderr))
        if args.json:
            print(dumps({"cases": result["cases"], "seconds": result["seconds"]}, indent=1, ascii_only=False))
        else:
            print(result["markdown"], end="")
            if args.out:
                print(f"wrote {Path(args.out) / 'table.md'}, table.json and portraits/")
        return 0
    if not args.objective:
        raise GanlabError("no game to simulate", "pass --objective NAME (e.g. non_saturating) or --table")
    penalties = [parse_named(p, "penalty") for p in args.penalty]
    constraints = [parse_named(c, "constraint") for c in args.constraint]
    result = run_named(args.objective, parse_params(args.param), penalties, constraints, normalise=args.normalise,
                       k=args.k, settings=settings)
    record = result.to_json()
    if args.out:
        from ganlab.dynamics.portrait import save_portrait

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        record["portrait"] = str(save_portrait(result, out / "portrait.png"))
        (out / "result.json").write_text(dumps(record, indent=1, ascii_only=False), encoding="utf-8")
    if args.json:
        print(dumps(record, indent=1, ascii_only=False))
        return 0
    print(f"{result.label}  [{record['method']}, t = {record['t_end']:g}]")
    print(f"  eigenvalues at 0: {result.spectrum.short()}  ({result.spectrum.label})")
    print(f"  θ:     {result.verdict.label:17s} final ‖θ‖ = {result.verdict.final:.4g}   {result.verdict.note}")
    print(f"  EMA-θ: {result.ema_verdict.label:17s} final ‖θ‖ = {result.ema_verdict.final:.4g}   {result.ema_verdict.note}")
    if args.out:
        print(f"  wrote {args.out}/result.json and portrait.png")
    return 0
