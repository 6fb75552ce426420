"""What makes one run's step faster: optimiser implementation, memory layout and thread count.

Each option is timed against its baseline interleaved in rounds in one process (the same
machine load hits both), on the digits default (DCGAN, batch 64) and the ring8 MLP + R1;
reported as the ratio of medians (> 1: the option is faster) with whether it is bit-identical
to the baseline after the same steps.

    python benchmarks/lone_step.py                # optimiser impl, channels_last, EMA update
    python benchmarks/lone_step.py --threads      # also 1 vs 2 torch threads (the whole step)
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import torch

DIGITS = ["train.progress=false", "eval.metrics=[]"]
RING8 = ["data.name=ring8", "model.z_dim=2", "model.width=64", "model.depth=3", "model.g_norm=none", "train.batch_size=256",
         "game.penalties=[{name: r1, gamma: 1}]", "train.progress=false", "eval.metrics=[]"]  # fmt: skip


def trainer(over: list[str]):
    from ganlab.api import in_memory
    from ganlab.config import make_config

    return in_memory(make_config(overrides=over))[1]


def timed(tr, steps: int, threads: int = 1) -> float:
    torch.set_num_threads(threads)
    start = time.perf_counter()
    for _ in range(steps):
        tr.train_step()
    torch.set_num_threads(1)
    return (time.perf_counter() - start) / steps


def same(a, b) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.G.parameters(), b.G.parameters())) and all(
        torch.equal(p, q) for p, q in zip(a.D.parameters(), b.D.parameters())
    )


def compare(name: str, base: list[str], option: list[str], rounds: int, steps: int, threads: tuple[int, int] = (1, 1)) -> dict:
    a, b = trainer(base), trainer(base + option)
    for t, n in ((a, threads[0]), (b, threads[1])):
        timed(t, 3, n)
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(timed(a, steps, threads[0]))
        tb.append(timed(b, steps, threads[1]))
    ratio = statistics.median(ta) / statistics.median(tb)
    exact = same(a, b)
    print(f"| {name} | {1000 * statistics.median(ta):.2f} | {1000 * statistics.median(tb):.2f} | {ratio:.2f}× | "
          f"{'yes' if exact else 'no'} |")  # fmt: skip
    return {"name": name, "base_ms": 1000 * statistics.median(ta), "option_ms": 1000 * statistics.median(tb), "ratio": ratio,
            "bit_identical": exact}  # fmt: skip


def ema_update(rounds: int) -> None:
    """The EMA update alone: one foreach lerp (ganlab.train.ema) vs a lerp_ per parameter."""
    from ganlab.nets.dcgan import DCGANGenerator

    torch.manual_seed(0)
    G = DCGANGenerator(32, 1, 8, 64)
    e1, e2 = copy.deepcopy(G), copy.deepcopy(G)
    loop, fe = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        with torch.no_grad():
            for _ in range(200):
                for p_e, p in zip(e1.parameters(), G.parameters()):
                    p_e.lerp_(p.detach(), 0.001)
        loop.append(time.perf_counter() - t)
        t = time.perf_counter()
        with torch.no_grad():
            for _ in range(200):
                torch._foreach_lerp_(list(e2.parameters()), list(G.parameters()), 0.001)
        fe.append(time.perf_counter() - t)
    exact = all(torch.equal(a, b) for a, b in zip(e1.parameters(), e2.parameters()))
    print(f"| EMA update (digits G): foreach lerp vs per-parameter lerp_ | {5 * statistics.median(loop):.3f} | "
          f"{5 * statistics.median(fe):.3f} | {statistics.median(loop) / statistics.median(fe):.2f}× | {'yes' if exact else 'no'} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", action="store_true", help="also time 2 torch threads against 1")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"load average before: {os.getloadavg()[0]:.2f}; one torch thread unless stated")
    print("| option | baseline ms/step | option ms/step | speed-up | bit-identical |")
    print("|---|---|---|---|---|")
    for name, base in (("digits", DIGITS), ("ring8 + R1", RING8)):
        compare(f"{name}: Adam foreach vs loop", base + ["train.optimizer_impl=loop"], ["train.optimizer_impl=foreach"], args.rounds,
                args.steps)  # fmt: skip
        compare(f"{name}: Adam fused vs foreach", base, ["train.optimizer_impl=fused"], args.rounds, args.steps)
    compare("digits: channels_last vs NCHW", DIGITS, ["train.channels_last=true"], args.rounds, args.steps)
    ema_update(args.rounds)
    if args.threads:
        for name, base in (("digits", DIGITS), ("ring8 + R1", RING8)):
            compare(f"{name}: 2 threads vs 1", base, [], args.rounds, args.steps, threads=(1, 2))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
