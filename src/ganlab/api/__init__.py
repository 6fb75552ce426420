"""Train, resume, load and check runs — alone or as a group trained together (``train.runs``).

The one place that wires data + game + nets + Trainer + metrics: ``runs`` for a single run,
``groups`` for N runs with seeds seed … seed+N−1 trained as one batched model.
"""

from ganlab.api.groups import summarize_group
from ganlab.api.runs import Run, build, dry_run, in_memory, load_group, load_run, resume, train

__all__ = ["Run", "build", "dry_run", "in_memory", "load_group", "load_run", "resume", "summarize_group", "train"]
