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

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.metrics.context import METRICS, EvalContext, Side, check_options
from ganlab.serial import dumps, write_json


def default_features(dataset: Any) -> str:
    """The data set's own default feature network (declared where it is registered);
    ``identity`` for a bare tensor."""
    return "identity" if dataset is None else dataset.features


def default_metrics(dataset: Any) -> list[str]:
    """What a training run reports at its end (metrics.json): the data set's declared defaults."""
    return list(dataset.metrics)


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
    fake_labels: torch.Tensor | None = None,
    options: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Evaluate ``generator`` (or given ``fake`` samples) against ``reference``.

    reference: a ganlab Dataset (its ``split`` is the real side) or a tensor of real samples.
    metrics: names from METRICS (default: ``default_metrics(dataset)``).
    features: feature network for feature-based metrics (default: ``default_features``).
    options: per-metric keyword options, e.g. {"kid": {"subsets": 50}, "fid": {"real_stats": "x.npz"}}.
    fake_labels: the classes given ``fake`` samples were generated for (conditional metrics);
    a conditional ``generator`` is asked for balanced classes instead.
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
    # unknown names and options fail here, before any work, with a "did you mean"
    for name in metrics:
        METRICS.get(name)
    opts = {name: check_options(name, (options or {}).get(name)) for name in metrics}
    for name in options or {}:
        if name not in opts:
            METRICS.get(name)
            raise GanlabError(f"options given for metric {name}, which is not computed", f"add {name} to the metrics or drop its options")
    if generator is None and fake is None:
        raise GanlabError("nothing to evaluate", "pass a generator or fake samples")

    ctx = EvalContext(
        real=real, generator=generator, n=n, seed=seed, features=features or default_features(dataset),
        feature_options=feature_options or {}, batch_size=batch_size, device=device, dataset=dataset,
        split=split if dataset is not None else None, discriminator=discriminator, fake_samples=fake,
        fake_labels=None if fake_labels is None else torch.as_tensor(fake_labels).long(),
        real_labels=dataset.labels.get(split) if dataset is not None else None,
    )  # fmt: skip
    values: dict[str, float] = {}
    per_metric: dict[str, Any] = {}
    for name in metrics:
        ctx.log.clear()
        start = time.perf_counter()
        out = METRICS.get(name)(Side(ctx, "generated"), Side(ctx, "real"), opts[name])
        clash = set(out) & set(values)
        if clash:
            raise GanlabError(f"metric {name} repeats value names {sorted(clash)}", "list each metric once")
        values.update({k: float(v) for k, v in out.items()})
        per_metric[name] = {**_usage(ctx), "options": _jsonable(dataclasses.asdict(opts[name])),
                            "seconds": round(time.perf_counter() - start, 3)}  # fmt: skip

    used_nets = {k: v for m in per_metric.values() for k, v in m.get("features", {}).items()}
    from ganlab.version import __version__

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


def to_json(result: dict[str, Any]) -> str:
    """An ``evaluate`` result as strict JSON text (non-finite values as null)."""
    return dumps(result) + "\n"


def save_result(result: dict[str, Any], path: str | Path) -> None:
    """Write an ``evaluate`` result as strict JSON, atomically (non-finite values as null)."""
    write_json(path, result)
