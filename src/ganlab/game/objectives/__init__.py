"""Importing this package registers every objective (one import line per family)."""

from ganlab.game.objectives import (  # noqa: F401
    classic,
    cramer,
    ebgan,
    fgan,
    gan_qp,
    hinge,
    least_squares,
    loss_sensitive,
    mmd,
    relativistic,
    sphere,
    wasserstein,
)
