"""What training draws from: the data order, the latent noise, the penalties' randomness — one set per run.

A lone run with seed s reads its data through a ``BatchStream`` seeded s, draws z from a
generator seeded s + 1 and the penalties' interpolation coefficients from a generator seeded
s (+ 1,000,003 per distributed rank, so ranks do not draw the same interpolates for different
samples). A group of N runs with seeds s, s+1, …, s+N−1 keeps N such sets and stacks what
they draw: run i of a group sees exactly what a lone run with seed s+i would.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganlab.train.loader import BatchStream

RANK_STRIDE = 1_000_003  # seed offset of each distributed rank's penalty stream


class Streams:
    """The random streams of one run (``seeds`` of length 1) or of a group (one per seed)."""

    def __init__(self, data: torch.Tensor, batch_size: int, seeds: list[int], device: torch.device, rank: int = 0,
                 labels: torch.Tensor | None = None) -> None:  # fmt: skip
        self.group = len(seeds) > 1
        self.labels = labels  # class labels of the data (conditional runs): real() then also yields y
        self.last_labels: torch.Tensor | None = None  # the labels of the newest real batch
        self.seeds = list(seeds)
        self.device = device
        self.batch_size = batch_size
        self.data = [BatchStream(data, batch_size, s) for s in seeds]
        self.noise = [torch.Generator(device=device).manual_seed(s + 1) for s in seeds]
        self.penalty = [torch.Generator(device=device).manual_seed(s + RANK_STRIDE * rank) for s in seeds]

    @property
    def rng(self) -> torch.Generator | list[torch.Generator]:
        """What a Batch draws penalty randomness from."""
        return self.penalty if self.group else self.penalty[0]

    def real(self) -> torch.Tensor:
        """The next global batch of data: (B, …), or (N, B, …) for a group; with labels, their
        batch is ``last_labels`` ((B,) or (N, B))."""
        if self.labels is None:
            if not self.group:
                return self.data[0].next()
            return torch.stack([s.next() for s in self.data])
        idx = [s.next_index() for s in self.data]
        x = [self.data[0].data[i] for i in idx]
        y = [self.labels[i] for i in idx]
        self.last_labels = torch.stack(y) if self.group else y[0]
        return torch.stack(x) if self.group else x[0]

    def latent(self, n: int, prior: Callable[..., torch.Tensor]) -> torch.Tensor:
        """n latent vectors from a generator's own ``prior(n, generator, device)`` on the noise streams."""
        if not self.group:
            return prior(n, self.noise[0], self.device)
        return torch.stack([prior(n, g, self.device) for g in self.noise])

    def uniform_labels(self, n: int, n_classes: int) -> torch.Tensor:
        """n labels drawn uniformly from the noise streams: (n,), or (N, n) for a group."""
        def draw(g: torch.Generator) -> torch.Tensor:
            return torch.randint(0, n_classes, (n,), generator=g, device=self.device)

        return torch.stack([draw(g) for g in self.noise]) if self.group else draw(self.noise[0])

    def z(self, n: int, z_dim: int) -> torch.Tensor:
        """n latent vectors: (n, z_dim), or (N, n, z_dim) for a group."""
        if not self.group:
            return torch.randn(n, z_dim, generator=self.noise[0], device=self.device)
        return torch.stack([torch.randn(n, z_dim, generator=g, device=self.device) for g in self.noise])

    def state_dict(self, i: int = 0) -> dict:
        """Run i's streams, in the layout a lone run's checkpoint holds."""
        return {"stream": self.data[i].state_dict(), "noise": self.noise[i].get_state(), "penalty_rng": self.penalty[i].get_state()}

    def load_state_dict(self, state: dict, i: int = 0) -> None:
        self.data[i].load_state_dict(state["stream"])
        self.noise[i].set_state(state["noise"])
        if "penalty_rng" in state:
            self.penalty[i].set_state(state["penalty_rng"])

    def reseed_penalty(self, seed: int) -> None:
        """A new penalty stream for a distributed rank after loading rank 0's checkpoint."""
        self.penalty[0].manual_seed(seed)
