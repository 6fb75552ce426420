"""An endless, resumable stream of shuffled mini-batches from an in-memory tensor."""

from __future__ import annotations

import torch


class BatchStream:
    """Epochs of random permutations drawn from a private ``torch.Generator``.

    The whole position (permutation, offset, generator state) is in ``state_dict``, so a
    resumed run sees exactly the batches an uninterrupted one would. A partial batch at the
    end of an epoch is dropped, so every batch has ``batch_size`` rows.
    """

    def __init__(self, data: torch.Tensor, batch_size: int, seed: int) -> None:
        if batch_size > len(data):
            raise ValueError(f"batch size {batch_size} exceeds the {len(data)} training samples")
        self.data = data
        self.batch_size = batch_size
        self.gen = torch.Generator().manual_seed(seed)
        self.perm = torch.randperm(len(data), generator=self.gen)
        self.pos = 0
        self.epoch = 0

    def next_index(self) -> torch.Tensor:
        """The indices of the next batch (a new permutation at the end of an epoch)."""
        if self.pos + self.batch_size > len(self.perm):
            self.perm = torch.randperm(len(self.data), generator=self.gen)
            self.pos = 0
            self.epoch += 1
        idx = self.perm[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def next(self) -> torch.Tensor:
        return self.data[self.next_index()]

    def state_dict(self) -> dict:
        return {"perm": self.perm.clone(), "pos": self.pos, "epoch": self.epoch, "gen": self.gen.get_state()}

    def load_state_dict(self, state: dict) -> None:
        if len(state["perm"]) != len(self.data):
            raise ValueError(f"the checkpoint's data order covers {len(state['perm'])} samples, the data has {len(self.data)}")
        self.perm = state["perm"].clone()
        self.pos = int(state["pos"])
        self.epoch = int(state["epoch"])
        self.gen.set_state(state["gen"])
