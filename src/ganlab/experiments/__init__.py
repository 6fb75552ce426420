"""Experiments that reproduce the source texts' claims (MISSION §7): one module per claim.

``run_experiment(name, quick=..., seeds=..., out=...)`` or ``ganlab experiment NAME``; each
writes markdown tables, CSVs, figures, a README.md report and result.json into its folder.
"""

from ganlab.experiments import (  # noqa: F401  (importing a module registers its experiment)
    dirac,
    ema,
    generalization,
    generator_losses,
    modes,
    relativistic,
    sphere,
    stacked,
    tangents,
)
from ganlab.experiments.base import EXPERIMENTS, Context, Experiment, run_experiment

__all__ = ["EXPERIMENTS", "Context", "Experiment", "run_experiment"]
