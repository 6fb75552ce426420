"""Dirac-GAN dynamics (Mescheder et al. 2018; seed 004): the field of any ``Game`` by autograd,
integrators, the spectrum at the equilibrium, verdicts from trajectories, portraits, the table."""

from ganlab.dynamics.dirac import OUTPUT_KINDS, Dirac, dirac_for
from ganlab.dynamics.field import DiracField, vector_field
from ganlab.dynamics.integrate import Path, alternating, ema, ode, simultaneous
from ganlab.dynamics.simulate import Result, Settings, run_named, simulate
from ganlab.dynamics.spectrum import Spectrum, spectrum
from ganlab.dynamics.verdict import VERDICTS, Verdict, judge

__all__ = [
    "OUTPUT_KINDS",
    "VERDICTS",
    "Dirac",
    "DiracField",
    "Path",
    "Result",
    "Settings",
    "Spectrum",
    "Verdict",
    "alternating",
    "dirac_for",
    "ema",
    "judge",
    "ode",
    "run_named",
    "simulate",
    "simultaneous",
    "spectrum",
    "vector_field",
]
