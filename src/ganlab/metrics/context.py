"""EvalContext: generated samples, reference samples and their features, each computed once.

Every metric is a function ``metric(fake: Side, real: Side, **options) -> dict[str, float]``
— the convention stated once: **first argument generated, second real**. A ``Side`` hands
out samples and features lazily; the context caches them per feature network, so FID, KID,
IS and precision/recall share one forward pass. Each access is logged, so the protocol
saved with a result says what the metric really used (which side, how many samples, which
network and the sha256 of its weights) rather than what we believe it used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.metrics.features import FEATURES, FeatureNet, check_weights
from ganlab.nets.modes import frozen_eval
from ganlab.registry import Registry
from ganlab.typed import build


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """A metric without options."""


@dataclasses.dataclass(frozen=True)
class Metric:
    """A registered metric: ``fn(fake, real, options) -> {value name: float}`` and what others
    need to know of it, declared next to its definition.

    ``options``: the dataclass of its options (checked strictly, with did-you-mean, before any
    work). ``better``: value name → True when higher is better, for the values that can rank
    checkpoints (``train.best_metric``). ``needs``: attributes a data set must have (not None)
    for the metric to apply, e.g. ``("centres",)`` for mode coverage. ``features``: it reads
    the evaluation's feature network, so that network's weights must be on disk before a run
    starts (``check_features_ready``); False for metrics of samples, latents or D alone.
    """

    fn: Callable[..., dict[str, float]]
    options: type = NoOptions
    better: Mapping[str, bool] = dataclasses.field(default_factory=dict)
    needs: tuple[str, ...] = ()
    needs_what: str = ""  # the requirement in words, e.g. "a Gaussian mixture with known modes (ring8, grid25)"
    conditional: bool = False  # judges a class-conditional generator (its samples' requested classes)
    features: bool = True  # reads the evaluation's feature network (features or logits)

    @property
    def summary(self) -> str:
        doc = (self.fn.__doc__ or "").strip()
        return " ".join(doc.split("\n\n")[0].split())

    def make_options(self, values: Mapping[str, Any] | None, where: str) -> Any:
        return build(self.options, values or {}, where)

    def unusable(self, dataset: Any) -> str | None:
        """What this metric needs that ``dataset`` lacks (None: it can be computed)."""
        for attr in self.needs:
            if getattr(dataset, attr, None) is None:
                return self.needs_what or f"a data set with {attr}"
        return None

    def __call__(self, fake: Side, real: Side, options: Any) -> dict[str, float]:
        return self.fn(fake, real, options)


METRICS: Registry[Metric] = Registry("metric")


def metric(
    name: str, *, options: type = NoOptions, better: Mapping[str, bool] | None = None, needs: tuple[str, ...] = (),
    needs_what: str = "", conditional: bool = False, features: bool = True,
) -> Callable[[Callable[..., dict[str, float]]], Callable[..., dict[str, float]]]:
    """Register ``fn(fake, real, options)`` as metric ``name`` (see ``Metric``)."""

    def deco(fn: Callable[..., dict[str, float]]) -> Callable[..., dict[str, float]]:
        METRICS.register(name)(Metric(fn, options, dict(better or {}), tuple(needs), needs_what, conditional, features))
        return fn

    return deco


def check_options(name: str, values: Mapping[str, Any] | None, where: str | None = None) -> Any:
    """Metric ``name``'s options built strictly from ``values``; a one-line error otherwise."""
    return METRICS.get(name).make_options(values, where or f"options of metric {name}")


def check_features_ready(metrics: Iterable[str], features: str, options: Mapping[str, Any] | None = None, *, fix: str = "") -> None:
    """Refuse, before any work, metrics that read feature network ``features`` (built with
    ``options``) when the weights file it declares is missing or unusable (``check_weights``);
    ``fix`` adds another way out (e.g. other metrics) to the one-line error."""
    readers = [name for name in metrics if METRICS.get(name).features]
    if readers:
        who = f"metrics {', '.join(readers)} need" if len(readers) > 1 else f"metric {readers[0]} needs"
        check_weights(features, options, who=who, fix=fix)


def value_names() -> list[str]:
    """Every value that can rank checkpoints (``train.best_metric``), sorted."""
    return sorted(v for _, m in METRICS.items() for v in m.better)


def value_direction(value: str) -> tuple[str, bool]:
    """(metric computing ``value``, whether higher is better)."""
    for name, m in METRICS.items():
        if value in m.better:
            return name, m.better[value]
    METRICS.get(value)  # an unknown name: one line with a did-you-mean among the metrics
    raise GanlabError(f'"{value}" is not a value that ranks checkpoints', f"choose one of: {', '.join(value_names())}")


def balanced_labels(n: int, n_classes: int) -> torch.Tensor:
    """0, 1, …, K−1, 0, 1, …: n labels as even over the classes as n allows (the classes a
    conditional generator is asked for when it is evaluated)."""
    return torch.arange(n) % n_classes


def generate(generator: nn.Module, n: int, *, seed: int, batch_size: int = 500, device: str = "cpu") -> torch.Tensor:
    """n samples G(z), z ~ N(0, I) (or G's own ``prior``) drawn at once from a CPU generator
    seeded with ``seed``: the same seed gives the same z whatever the batch size or device. A
    class-conditional G is asked for ``balanced_labels``; ``generate_labelled`` returns them."""
    return generate_labelled(generator, n, seed=seed, batch_size=batch_size, device=device)[0]


def generate_labelled(
    generator: nn.Module, n: int, *, seed: int, batch_size: int = 500, device: str = "cpu", labels: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(samples, the labels they were generated for, or None for an unconditional G).
    ``labels`` overrides the balanced ones (``ganlab sample --class``)."""
    gen = torch.Generator().manual_seed(seed)
    prior = getattr(generator, "prior", None)
    z = prior(n, gen) if prior is not None else torch.randn(n, generator.z_dim, generator=gen)
    k = getattr(generator, "n_classes", None)
    if labels is not None and not k:
        raise GanlabError("class labels given for an unconditional generator", "train with model.conditional=true to sample by class")
    y = (labels if labels is not None else balanced_labels(n, k)).long() if k else None
    out = []
    with frozen_eval(generator), torch.no_grad():
        for i in range(0, n, batch_size):
            args = (z[i : i + batch_size].to(device),) + (() if y is None else (y[i : i + batch_size].to(device),))
            out.append(generator(*args).float().cpu())
    return (torch.cat(out) if out else torch.empty(0)), y


@dataclasses.dataclass
class EvalContext:
    """Everything a metric may need, with caches. ``real`` is the reference split's samples."""

    real: torch.Tensor
    generator: nn.Module | None = None
    n: int = 10_000  # generated samples (TTUR: ≥ 10,000 for FID)
    seed: int = 0
    features: str = "identity"  # default feature network of the metrics in this evaluation
    feature_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    batch_size: int = 500
    device: str = "cpu"
    dataset: Any = None  # ganlab.data.Dataset when the reference is a data set split
    split: str | None = None
    discriminator: nn.Module | None = None
    fake_samples: torch.Tensor | None = None  # given samples instead of a generator
    fake_labels: torch.Tensor | None = None  # the classes the fakes were generated for (conditional G)
    real_labels: np.ndarray | None = None  # the reference split's class labels, when it has them

    def __post_init__(self) -> None:
        self._nets: dict[str, FeatureNet] = {}
        self._cache: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        self.log: list[tuple[str, str, Any]] = []  # (role, what, detail) accesses of the running metric
        self.per_sample: dict[str, list[float]] = {}  # per-example values a metric reports beside its mean

    # --- samples -------------------------------------------------------------------------------
    def samples(self, role: str) -> torch.Tensor:
        if role == "real":
            return self.real
        if self.fake_samples is None:
            if self.generator is None:
                raise GanlabError("this metric needs generated samples", "pass a generator or fake samples")
            self.fake_samples, self.fake_labels = generate_labelled(
                self.generator, self.n, seed=self.seed, batch_size=self.batch_size, device=self.device
            )
        return self.fake_samples

    def labels(self, role: str) -> np.ndarray | None:
        """The class labels of one side: the reference split's, or those the fakes were generated for."""
        if role == "real":
            return self.real_labels
        self.samples(role)
        return None if self.fake_labels is None else self.fake_labels.numpy()

    # --- features ------------------------------------------------------------------------------
    def net(self, name: str | None = None) -> FeatureNet:
        name = name or self.features
        if name not in self._nets:
            options = self.feature_options if name == self.features else {}
            self._nets[name] = FEATURES.get(name)(**options).to(self.device)
        return self._nets[name]

    def outputs(self, role: str, name: str | None = None) -> dict[str, np.ndarray]:
        """{"features": (N, d)[, "logits": (N, K)]} as float64, computed once per (network, side)."""
        name = name or self.features
        key = (name, role)
        if key not in self._cache:
            net, x = self.net(name), self.samples(role)
            parts: dict[str, list[torch.Tensor]] = {}
            for i in range(0, len(x), self.batch_size):
                for k, v in net.extract(x[i : i + self.batch_size].to(self.device)).items():
                    parts.setdefault(k, []).append(v.cpu())
            self._cache[key] = {k: torch.cat(v).double().numpy() for k, v in parts.items()}
        return self._cache[key]


@dataclasses.dataclass
class Side:
    """One side of a comparison ("generated" or "real") as a metric sees it."""

    ctx: EvalContext
    role: str  # "generated" or "real"

    @property
    def x(self) -> torch.Tensor:
        """The samples themselves (N, ...)."""
        x = self.ctx.samples(self.role)
        self.ctx.log.append((self.role, "samples", len(x)))
        return x

    def labels(self, needed_for: str) -> np.ndarray:
        """(N,) int class labels of this side; a one-line error naming ``needed_for`` when it has none."""
        y = self.ctx.labels(self.role)
        if y is None:
            if self.role == "real":
                raise GanlabError(f"{needed_for} needs the class labels of the reference samples", "evaluate against a labelled data set")
            raise GanlabError(f"{needed_for} needs a class-conditional generator", "train with model.conditional=true, or drop the metric")
        return np.asarray(y)

    def features(self, net: str | None = None) -> np.ndarray:
        """(N, d) float64 features from ``net`` (default: the evaluation's feature network)."""
        return self._get("features", net)

    def logits(self, net: str | None = None) -> np.ndarray:
        """(N, K) float64 class logits; only classifier feature networks (digits, inception) have them."""
        net = net or self.ctx.features
        if not self.ctx.net(net).has_logits:
            raise GanlabError(
                f'the feature network "{net}" has no class logits (the Inception Score needs them)',
                "use --features digits or inception, or drop inception_score",
            )
        return self._get("logits", net)

    def _get(self, what: str, net: str | None) -> np.ndarray:
        net = net or self.ctx.features
        out = self.ctx.outputs(self.role, net)[what]
        self.ctx.log.append((self.role, f"{what}:{net}", len(out)))
        return out
