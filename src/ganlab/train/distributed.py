"""Process groups for multi-process training (torchrun + DDP), and the single-process default.

ganlab splits the *global* batch across processes instead of giving each its own: every rank
draws the same global batch of data indices and latent vectors from identically seeded
streams and keeps its slice. Gradients averaged by DDP then equal the single-process
gradient of the global batch, a checkpoint written by rank 0 is complete, and a run can be
resumed on a different number of processes.
"""

from __future__ import annotations

import dataclasses
import datetime
import os

import torch
import torch.distributed as dist

from ganlab.errors import GanlabError


@dataclasses.dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def from_env() -> DistInfo:
    """Join the process group torchrun describes in the environment (WORLD_SIZE > 1), once."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local)
        try:
            dist.init_process_group(backend=backend)
        except (RuntimeError, ValueError) as err:
            raise GanlabError(f"cannot join the process group ({str(err).splitlines()[0][:120]})", "launch with torchrun") from None
    return DistInfo(rank=rank, world=world, local_rank=local)


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def shutdown() -> None:
    """Leave the process group, every rank together: a Gloo process whose peer has already torn
    down its connections can abort ("terminate called without an active exception", SIGABRT)."""
    if dist.is_available() and dist.is_initialized():
        try:
            if dist.get_backend() == "gloo":  # a bounded wait: a rank that died must not hang the others here
                dist.monitored_barrier(timeout=datetime.timedelta(seconds=60))
            else:
                dist.barrier()
        except RuntimeError:
            pass  # a peer is gone; leave anyway
        dist.destroy_process_group()
