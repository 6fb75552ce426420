"""``evaluate``: the one entry point of the metrics, for the API, the trainer and ``ganlab eval``.

A result is a dict ready for JSON:
    {"values":   {"fid": …, "kid_mean": …, …},                 flat, one float per name
     "protocol": {"ganlab_version", "seed", "dataset", "split", "n_generated", "n_real",
                  "features": {"name", "sha256"},
                  "metrics": {name: {"n_generated", "n_real", "features": {net: sha256}, "options"}}},
     "per_sample": {"mre": [...]}}                                only when a metric reports them
The per-metric protocol is built from what each metric actually read (context access log).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.metrics.context import METRICS, EvalContext, Side


def default_features(dataset: Any) -> str:
    """identity for points, the shipped classifier for 8×8 digits, Inception for other images."""
    if dataset is None or dataset.kind == "points":
        return "identity"
    return "digits" if dataset.name == "digits" else "inception"


def default_metrics(dataset: Any) -> list[str]:
    """What a training run reports at its end (metrics.json). Fast: ~seconds on CPU."""
    if dataset.kind == "points":
        names = ["precision_recall", "equilibrium"]
        return (["mode_coverage"] if dataset.centres is not None else []) + names
    if dataset.name == "digits":
        return ["fid", "kid", "inception_score", "precision_recall", "mre"]
    return ["fid", "kid", "inception_score", "precision_recall"]


def evaluate(
    generator: nn.Module | None,
    reference: Any,
    metrics: Sequence[str] | None = None,
    *,
    split: str = "test",
    features: str | None = None,
    feature_options: dict[str, Any] | None = None,
    n: int = 10_000,
    seed: int = 0,
    batch_size: int = 500,
    device: str = "cpu",
    discriminator: nn.Module | None = None,
    fake: torch.Tensor | None = None,
    options: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Evaluate ``generator`` (or given ``fake`` samples) against ``reference``.

    reference: a ganlab Dataset (its ``split`` is the real side) or a tensor of real samples.
    metrics: names from METRICS (default: ``default_metrics(dataset)``).
    features: feature network for feature-based metrics (default: ``default_features``).
    options: per-metric keyword options, e.g. {"kid": {"subsets": 50}, "fid": {"real_stats": "x.npz"}}.
    """
    dataset = None if isinstance(reference, torch.Tensor) else reference
    if dataset is not None and not hasattr(dataset, "split"):
        raise GanlabError(
            f"reference must be a Dataset or a tensor, got {type(reference).__name__}",
            "pass load_dataset(DataConfig(name=…)) or a tensor of real samples",
        )
    real = reference if dataset is None else dataset.split(split)
    if metrics is None:
        if dataset is None:
            raise GanlabError("no metrics given and the reference is a bare tensor", "name the metrics to compute")
        metrics = default_metrics(dataset)
    options = options or {}
    for name in list(metrics) + list(options):
        METRICS.get(name)  # unknown names fail here, before any work, with a "did you mean"
    if generator is None and fake is None:
        raise GanlabError("nothing to evaluate", "pass a generator or fake samples")

    ctx = EvalContext(
        real=real, generator=generator, n=n, seed=seed, features=features or default_features(dataset),
        feature_options=feature_options or {}, batch_size=batch_size, device=device, dataset=dataset,
        split=split if dataset is not None else None, discriminator=discriminator, fake_samples=fake,
    )  # fmt: skip
    values: dict[str, float] = {}
    per_metric: dict[str, Any] = {}
    for name in metrics:
        ctx.log.clear()
        start = time.perf_counter()
        out = METRICS.get(name)(Side(ctx, "generated"), Side(ctx, "real"), **options.get(name, {}))
        clash = set(out) & set(values)
        if clash:
            raise GanlabError(f"metric {name} repeats value names {sorted(clash)}", "list each metric once")
        values.update({k: float(v) for k, v in out.items()})
        per_metric[name] = {**_usage(ctx), "options": _jsonable(options.get(name, {})),
                            "seconds": round(time.perf_counter() - start, 3)}  # fmt: skip

    used_nets = {k: v for m in per_metric.values() for k, v in m.get("features", {}).items()}
    from ganlab import __version__

    result: dict[str, Any] = {
        "values": values,
        "protocol": {
            "ganlab_version": __version__,
            "seed": seed,
            "dataset": getattr(dataset, "name", None),
            "split": ctx.split,
            "n_generated": len(ctx.fake_samples) if ctx.fake_samples is not None else 0,
            "n_real": len(real),
            "features": [{"name": k, "sha256": v} for k, v in used_nets.items()],
            "metrics": per_metric,
        },
    }
    if ctx.per_sample:
        result["per_sample"] = ctx.per_sample  # e.g. MRE of every test example, in reference-split order
    return result


def _usage(ctx: EvalContext) -> dict[str, Any]:
    """What the running metric read: sample counts per side, feature networks and their hashes."""
    usage: dict[str, Any] = {}
    for role, what, count in ctx.log:
        usage[f"n_{role}"] = count
        if what.startswith(("features:", "logits:")):
            net = what.split(":", 1)[1]
            usage.setdefault("features", {})[net] = ctx.net(net).sha256
    return usage


def _jsonable(obj: Any) -> Any:
    """Options as JSON values: tensors/modules become their type name, not a crash."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return type(obj).__name__


def _finite(obj: Any) -> Any:
    # NaN/inf are not JSON: write them as null so every JSON reader accepts the file
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def to_json(result: dict[str, Any]) -> str:
    """An ``evaluate`` result as strict JSON text (non-finite values as null)."""
    return json.dumps(_finite(result), indent=2, allow_nan=False) + "\n"


def save_result(result: dict[str, Any], path: str | Path) -> None:
    """Write an ``evaluate`` result as JSON (non-finite values as null)."""
    Path(path).write_text(to_json(result))
