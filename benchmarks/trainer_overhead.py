"""Time per step of ganlab's Trainer over a bare PyTorch loop: same nets, objective, optimisers.

Both loops run side by side in one process, interleaved in rounds, so machine noise hits
them alike; the reported numbers are the ratios of the median and of the fastest round
(target: ≤ 1.05).

    python benchmarks/trainer_overhead.py                 # digits DCGAN, non-saturating
    python benchmarks/trainer_overhead.py --penalty r1    # with a gradient penalty
    python benchmarks/trainer_overhead.py --device cuda --precision bf16
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from ganlab.api import build
from ganlab.config import make_config
from ganlab.train.trainer import Trainer


def bare_loop(G, D, data, steps, batch, lr, betas, gamma, gen):
    """The loop a user would write by hand: BCE with logits, non-saturating G, optional R1."""
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)

    def run(n):
        for _ in range(n):
            idx = torch.randint(len(data), (batch,), generator=gen, device=data.device)
            x = data[idx]
            if gamma:
                x.requires_grad_(True)
            with torch.no_grad():
                fake = G(torch.randn(batch, G.z_dim, device=data.device))
            d_real = D(x)
            loss_d = F.softplus(-d_real).mean() + F.softplus(D(fake)).mean()
            if gamma:
                (g,) = torch.autograd.grad(d_real.sum(), x, create_graph=True)
                loss_d = loss_d + 0.5 * gamma * g.pow(2).flatten(1).sum(1).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            D.requires_grad_(False)
            loss_g = F.softplus(-D(G(torch.randn(batch, G.z_dim, device=data.device)))).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            D.requires_grad_(True)

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100, help="steps per timed round")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--penalty", choices=["none", "r1"], default="none")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    penalties = "[{name: r1, gamma: 1}]" if args.penalty == "r1" else "[]"
    cfg = make_config(
        overrides=[f"game.penalties={penalties}", f"train.device={args.device}", f"train.precision={args.precision}", "train.ema=null"]
    )
    dataset, game, G, D = build(cfg)
    trainer = Trainer(G, D, game, dataset.train, cfg.train)

    # The bare loop trains the *same* module objects (with optimisers of its own): two bare loops
    # on separately allocated but identical nets differed by up to ~9 % here from memory
    # placement alone, which would swamp the overhead being measured.
    data = dataset.train.to(trainer.device)
    bare = bare_loop(
        trainer.G,
        trainer.D,
        data,
        args.steps,
        cfg.train.batch_size,
        cfg.train.lr_d,
        cfg.train.betas_d,
        1.0 if args.penalty == "r1" else 0.0,
        torch.Generator(device=trainer.device).manual_seed(0),
    )

    def ours(n):
        for _ in range(n):
            trainer.train_step()
        trainer.meter.flush()  # the logging cadence's read-back, once per round

    def timed(fn):
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn(args.steps)
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - t) / args.steps

    ours(5)
    bare(5)  # warm-up
    t_ours, t_bare = [], []
    for r in range(args.rounds):
        # alternate the order so neither loop always runs on a warmer machine
        pair = (("ours", ours), ("bare", bare)) if r % 2 == 0 else (("bare", bare), ("ours", ours))
        for name, fn in pair:
            (t_ours if name == "ours" else t_bare).append(timed(fn))
    result = {
        "device": str(trainer.device),
        "precision": args.precision,
        "penalty": args.penalty,
        "threads": torch.get_num_threads(),
        "ms_per_step_trainer": round(1000 * statistics.median(t_ours), 3),
        "ms_per_step_bare": round(1000 * statistics.median(t_bare), 3),
        "ratio": round(statistics.median(t_ours) / statistics.median(t_bare), 4),
        # the fastest round of each is the least disturbed by other jobs on a shared machine
        "ratio_of_fastest": round(min(t_ours) / min(t_bare), 4),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
