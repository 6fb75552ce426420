"""Importing this package registers every objective (one import line per family)."""

from ganlab.game.objectives import classic, hinge, least_squares, wasserstein  # noqa: F401
