"""Honest metrics: every number comes with the protocol that produced it.

Convention, stated once: a metric function takes (generated, real) in that order.
Entry point: ``evaluate(generator, dataset_or_tensor, metrics=[...])``; registries
``METRICS`` (name → ``Metric``: the function, its options dataclass, which values rank
checkpoints and whether higher is better) and ``FEATURES`` (name → feature network factory).
"""

from ganlab.metrics import (  # noqa: F401  (importing a module registers its metrics and feature networks)
    classes,
    equilibrium,
    fid,
    inception,
    inception_score,
    kid,
    modes,
    mre,
    parzen,
    precision_recall,
    stacked,
    tangent_rank,
)
from ganlab.metrics.context import (
    METRICS,
    EvalContext,
    Metric,
    Side,
    balanced_labels,
    check_options,
    generate,
    generate_labelled,
    metric,
    value_direction,
    value_names,
)
from ganlab.metrics.evaluate import default_features, default_metrics, evaluate, save_result, to_json
from ganlab.metrics.features import FEATURES, FeatureNet
from ganlab.metrics.fid import fid_from_features, frechet_distance, load_stats, save_stats
from ganlab.metrics.inception import FIDInception, load_inception
from ganlab.metrics.kid import kid_from_features
from ganlab.metrics.mre import mre_along_training, reconstruction_errors
from ganlab.metrics.precision_recall import density_coverage_from_features, precision_recall_from_features

__all__ = [
    "EvalContext",
    "FEATURES",
    "FIDInception",
    "FeatureNet",
    "METRICS",
    "Metric",
    "Side",
    "check_options",
    "default_features",
    "default_metrics",
    "density_coverage_from_features",
    "evaluate",
    "fid_from_features",
    "frechet_distance",
    "balanced_labels",
    "generate",
    "generate_labelled",
    "kid_from_features",
    "load_inception",
    "load_stats",
    "metric",
    "mre_along_training",
    "precision_recall_from_features",
    "reconstruction_errors",
    "save_result",
    "save_stats",
    "to_json",
    "value_direction",
    "value_names",
]
