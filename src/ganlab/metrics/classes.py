"""Metrics of class-conditional generators (and the class coverage of any generator).

A conditional generator is evaluated on balanced labels (0, 1, …, K−1, 0, …; see
``context.balanced_labels``), so every class gets ⌊n/K⌋ or ⌈n/K⌉ samples.

- ``class_accuracy``: the share of generated samples that a classifier (the evaluation's
  feature network, e.g. the shipped digits classifier) assigns to the class they were generated
  for; also the worst class's share. The AC-GAN paper's "generated samples classified
  correctly" (Odena et al. 2017, §4.1) with a classifier trained on real data only.
- ``intra_fid``: FID computed within each class — generated samples of class c against real
  samples labelled c — then the mean over classes and the worst class (Miyato & Koyama 2018,
  §5.1 "intra-FID"). Per-class values go to ``per_sample["intra_fid"]`` in class order.
- ``class_coverage``: the share of classes a generator covers. Conditional: class c is covered
  when at least ``threshold`` of its samples are classified as c. Unconditional: when the
  classifier assigns class c at least ``threshold`` × its share of the real labels (uniform
  without them) — mode coverage with classes for modes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, metric
from ganlab.metrics.fid import fid_from_features
from ganlab.typed import field


def _predicted(side: Side, k: int, what: str) -> np.ndarray:
    logits = side.logits()
    if logits.shape[1] != k:
        raise GanlabError(
            f"{what}: the classifier has {logits.shape[1]} classes but the data has {k}",
            "use a feature network trained on these classes (features: digits for the digits data)",
        )
    return logits.argmax(axis=1)


def _per_class_accuracy(fake: Side, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(requested labels, accuracy of each class 0 … K−1)."""
    y = fake.labels(what)
    k = int(y.max()) + 1
    k = max(k, getattr(fake.ctx.generator, "n_classes", None) or k)
    pred = _predicted(fake, k, what)
    acc = np.array([np.mean(pred[y == c] == c) if np.any(y == c) else np.nan for c in range(k)])
    return y, acc


@metric("class_accuracy", better={"class_accuracy": True}, conditional=True)
def class_accuracy(fake: Side, real: Side, o: object) -> dict[str, float]:
    """Share of generated samples the classifier assigns to their requested class, and the worst class's."""
    y, acc = _per_class_accuracy(fake, "class_accuracy")
    pred_ok = acc[y]  # per-sample: each sample's class accuracy, so the mean weights classes by count
    return {"class_accuracy": float(np.mean(pred_ok)), "class_accuracy_worst": float(np.nanmin(acc))}


@dataclasses.dataclass(frozen=True)
class IntraFIDOptions:
    method: str = field("eigvals", choices=("eigvals", "sqrtm"))  # as fid


@metric("intra_fid", options=IntraFIDOptions, better={"intra_fid_mean": False, "intra_fid_worst": False}, conditional=True,
        needs=("n_classes",), needs_what="a labelled data set")  # fmt: skip
def intra_fid(fake: Side, real: Side, o: IntraFIDOptions) -> dict[str, float]:
    """FID within each class (generated class c against real class c): mean and worst over classes."""
    y_fake, y_real = fake.labels("intra_fid"), real.labels("intra_fid")
    f_fake, f_real = fake.features(), real.features()
    values = []
    for c in range(int(max(y_fake.max(), y_real.max())) + 1):
        a, b = f_fake[y_fake == c], f_real[y_real == c]
        if len(a) < 2 or len(b) < 2:
            raise GanlabError(
                f"intra_fid: class {c} has {len(a)} generated and {len(b)} real samples (each side needs at least 2)",
                "generate more samples (eval.n) or evaluate on a larger split",
            )
        values.append(fid_from_features(a, b, o.method))
    fake.ctx.per_sample["intra_fid"] = values
    return {"intra_fid_mean": float(np.mean(values)), "intra_fid_worst": float(np.max(values))}


@dataclasses.dataclass(frozen=True)
class CoverageOptions:
    threshold: float = field(0.5, low=0, high=1, low_open=True)  # share a class needs to count as covered


@metric("class_coverage", options=CoverageOptions, better={"class_coverage": True})
def class_coverage(fake: Side, real: Side, o: CoverageOptions) -> dict[str, float]:
    """Share of the classes a generator covers (see the module docstring for the rule)."""
    if fake.ctx.labels("generated") is not None:
        _, acc = _per_class_accuracy(fake, "class_coverage")
        return {"class_coverage": float(np.mean(np.nan_to_num(acc) >= o.threshold))}
    logits = fake.logits()
    k = logits.shape[1]
    y_real = real.ctx.labels("real")
    expected = np.bincount(y_real, minlength=k) / len(y_real) if y_real is not None else np.full(k, 1.0 / k)
    share = np.bincount(logits.argmax(axis=1), minlength=k) / len(logits)
    present = expected > 0
    return {"class_coverage": float(np.mean(share[present] >= o.threshold * expected[present]))}
