"""ganlab: GAN objectives, training, honest metrics, dynamics and experiments in one library.

The public surface: the maths (``Game`` and its registries), configs (``make_config``), runs
(``train``, ``resume``, ``load_run`` — ``ganlab.api``) and ``evaluate``. The layers, each
importing only those below it (checked by tests/test_layers.py):

    errors version                    the bottom: no other ganlab module
    registry                          named registries with "did you mean"
    typed serial stats resources      strict dataclasses from plain values; JSON and atomic files; mean ± std ± CI; memory
    presets                           the defaults of a run on each data set (2-D mixtures)
    game nets data plots              the maths, architectures, data sets, pictures
    dynamics metrics                  Dirac GAN; metrics with their protocol
    config                            typed sections, validated against the registries
    train                             the one training loop, checkpoints, run folders
    geometry                          Localized GAN, Laplace–Beltrami (they train through train)
    api                               wires data + game + nets + Trainer + metrics
    sweep                             grids of configs × seeds, each cell one group; local or Ray executors
    experiments report                the claims as experiments; HTML pages
    commands                          the sub-commands of the CLI
    cli                               parses and dispatches
    __init__ __main__                 the top
"""

from ganlab.errors import GanlabError
from ganlab.game import (
    CONSTRAINTS,
    OBJECTIVES,
    PENALTIES,
    Batch,
    Constraint,
    Game,
    Objective,
    Penalty,
    grad_sq_norm,
)
from ganlab.game.factory import make_game
from ganlab.registry import Registry
from ganlab.version import __version__  # noqa: E402, F401


def __getattr__(name: str):  # the run API is imported on use: `import ganlab` stays light
    if name in ("train", "resume", "load_run", "evaluate", "make_config"):
        if name == "evaluate":
            from ganlab.metrics import evaluate as value
        elif name == "make_config":
            from ganlab.config import make_config as value
        else:
            from ganlab import api

            value = getattr(api, name)
        return value
    raise AttributeError(f"module 'ganlab' has no attribute {name!r}")

__all__ = [
    "Batch",
    "CONSTRAINTS",
    "Constraint",
    "Game",
    "GanlabError",
    "OBJECTIVES",
    "Objective",
    "PENALTIES",
    "Penalty",
    "Registry",
    "__version__",
    "evaluate",
    "grad_sq_norm",
    "load_run",
    "make_config",
    "make_game",
    "resume",
    "train",
]
