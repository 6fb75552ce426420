"""Sweeps: grids of configs × seeds, each cell one group of runs (``train.runs = seeds``).

``ganlab sweep SPEC.yaml`` / ``run_sweep(SPEC)``: ``spec`` reads and checks the SPEC (every
cell's config before any work), ``executors`` trains the cells in a local process pool or as
Ray tasks, ``results`` writes the table over cells and a plot per metric. See docs/sweeps.md.
"""

from ganlab.sweep.executors import EXECUTORS
from ganlab.sweep.run import prepare, run_sweep
from ganlab.sweep.spec import Cell, Plan, SweepSpec, load_spec

__all__ = ["EXECUTORS", "Cell", "Plan", "SweepSpec", "load_spec", "prepare", "run_sweep"]
