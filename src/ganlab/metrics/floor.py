"""The data's own floor: the evaluation's metrics with real training images in place of generated ones.

A perfect generator would produce samples distributed as the training data; its FID against the
test split is not 0 but the distance between two finite samples of the data (and, on small data
such as the 1,797 digits, between two disjoint sets of digits). ``data_floor`` computes that value
for every metric that reads samples only — same reference split, same feature network, same
options — so a run's "FID 6.4" can be read against the floor beside it.

The stand-in samples are training images drawn without replacement with a seeded generator,
as many as the generated samples would be (``n``), capped by the training split's size. A
finite-sample metric such as FID is biased by the sample count, so the count used is in the
result (``protocol.n_generated``). Metrics that need the networks themselves (MRE inverts G,
the equilibrium reads D, tangent rank differentiates G) have no floor; they are listed under
``"skipped"`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ganlab.errors import GanlabError
from ganlab.metrics.evaluate import default_metrics, evaluate


def floor_samples(dataset: Any, n: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(min(n, |train|) training images drawn without replacement, their labels or None)."""
    train = dataset.split("train")
    m = min(n, len(train))
    idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:m]
    y = dataset.labels.get("train")
    return train[idx], (None if y is None else torch.as_tensor(y)[idx])


def data_floor(
    dataset: Any,
    metrics: Sequence[str] | None = None,
    *,
    split: str = "test",
    n: int = 10_000,
    seed: int = 0,
    features: str | None = None,
    feature_options: dict[str, Any] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    batch_size: int = 500,
    device: str = "cpu",
) -> dict[str, Any]:
    """``evaluate``'s result for held-out training images in place of a generator's samples.

    Arguments mean what they mean to ``evaluate`` (``n``: the generated count the floor stands in
    for, e.g. ``cfg.eval.n``; ``seed``: picks the training images and seeds the metrics' subsets).
    Returns ``{"values", "protocol", ["per_sample"], "skipped": {metric: reason}}``; the protocol
    adds ``"samples": "train split"``.
    """
    names = list(metrics) if metrics is not None else default_metrics(dataset)
    fake, labels = floor_samples(dataset, n, seed=seed)
    common = dict(split=split, features=features, feature_options=feature_options, n=len(fake), seed=seed,
                  batch_size=batch_size, device=device, fake=fake, fake_labels=labels)  # fmt: skip

    def run(these: list[str]) -> dict[str, Any]:
        opts = {k: v for k, v in (options or {}).items() if k in these}
        return evaluate(None, dataset, these, options=opts, **common)

    skipped: dict[str, str] = {}
    try:
        result = run(names)
    except GanlabError:
        # some metric needs the generator or discriminator: compute the others one by one and say which had no floor
        kept = []
        for name in names:
            try:
                run([name])
                kept.append(name)
            except GanlabError as err:
                skipped[name] = err.problem
        result = run(kept) if kept else {"values": {}, "protocol": {"metrics": {}}}
    result["skipped"] = skipped
    result["protocol"]["samples"] = "train split"
    return result
