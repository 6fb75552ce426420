"""Two gloo processes on a tiny model reproduce a single-process run with the same global batch."""

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from ganlab.api import build
from ganlab.config import make_config
from ganlab.train.distributed import from_env, shutdown
from ganlab.train.trainer import Trainer

OVERRIDES = [
    "data.name=ring8",
    "data.n_points=512",
    "model.z_dim=2",
    "model.width=16",
    "model.depth=2",
    "model.g_norm=none",  # batch statistics would differ between one batch of 32 and two of 16
    "train.batch_size=32",
    "train.n_critic=2",
    "train.progress=false",
    "game.penalties=[{name: r1, gamma: 1}]",  # a double backward through the DDP-wrapped D
]
STEPS = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    try:
        info = from_env()
        cfg = make_config(overrides=OVERRIDES)
        dataset, game, G, D = build(cfg)
        trainer = Trainer(G, D, game, dataset.train, cfg.train, dist=info)
        for _ in range(STEPS):
            trainer.train_step()
        torch.save({"slice": trainer._mine(torch.arange(32)), "z": trainer.sample_z()}, f"{out}.rank{rank}")
        if info.is_main:
            torch.save({"G": trainer.G.state_dict(), "D": trainer.D.state_dict()}, out)
    finally:
        shutdown()


@pytest.mark.skipif(not torch.distributed.is_available(), reason="this torch build has no torch.distributed")
def test_two_gloo_processes_equal_one_process(tmp_path):
    out = str(tmp_path / "ddp.pt")
    mp.spawn(_worker, args=(2, _free_port(), out), nprocs=2, join=True)
    ddp = torch.load(out, weights_only=True)
    ranks = [torch.load(f"{out}.rank{r}", weights_only=True) for r in range(2)]
    # each process works on its own half of the global batch, not on a copy of it
    assert torch.equal(torch.cat([r["slice"] for r in ranks]), torch.arange(32))
    assert ranks[0]["z"].shape == (16, 2) and not torch.equal(ranks[0]["z"], ranks[1]["z"])

    cfg = make_config(overrides=OVERRIDES)
    dataset, game, G, D = build(cfg)
    single = Trainer(G, D, game, dataset.train, cfg.train)
    for _ in range(STEPS):
        single.train_step()
    for who, net in (("G", single.G), ("D", single.D)):
        moved = 0
        for name, value in net.state_dict().items():
            # the same global batch; only the order of floating-point sums differs
            torch.testing.assert_close(ddp[who][name], value, rtol=1e-5, atol=1e-6)
            moved += 1
        assert moved


def test_torchrun_cli_run_then_resume_on_one_process(tmp_path):
    """The user's path: `torchrun --nproc_per_node=2 -m ganlab train …`, rank 0 alone writes the
    run folder, and the run resumes on a different number of processes."""
    import subprocess
    import sys
    from pathlib import Path

    from ganlab.serial import read_jsonl
    from ganlab.train.checkpoint import list_checkpoints

    out = tmp_path / "ddp"
    args = [a for a in OVERRIDES if not a.startswith("game.")] + [
        "train.steps=20", "train.checkpoint_every=10", "train.log_every=5", "train.sample_every=0"
    ]
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    cmd = [str(torchrun), "--nproc_per_node=2", f"--master_port={_free_port()}", "-m", "ganlab", "train", *args, "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("run folder:") == 1  # one summary, from rank 0
    assert [s for s, _ in list_checkpoints(out / "checkpoints")] == [10, 20]
    assert [r["step"] for r in read_jsonl(out / "log.jsonl")] == [5, 10, 15, 20]  # each record once
    res = subprocess.run([sys.executable, "-m", "ganlab", "train", "--resume", str(out), "train.steps=30", "--quiet"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert [r["step"] for r in read_jsonl(out / "log.jsonl")] == [5, 10, 15, 20, 25, 30]
