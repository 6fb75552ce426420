"""Generator updates per second for SN-GAN ResNet 32² (hinge, batch 64, n_critic 5): the bare
eager fp32 loop against ganlab's Trainer in fp32, bf16 and bf16 + compile (+ channels_last),
on random data kept in device memory, all in one run on one device.

    python benchmarks/gpu_throughput.py --device cuda            # the issue's GPU measurement
    python benchmarks/gpu_throughput.py --device cpu --steps 2   # a smoke run of the same code

Prints one JSON line per variant and the ratios to the bare loop; targets on one H100:
≥ 2× the bare eager loop and ≥ 60 G updates/s.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganlab.config import make_config
from ganlab.game.factory import make_game
from ganlab.nets import build_nets
from ganlab.train.trainer import Trainer

PRESET = Path(__file__).resolve().parent.parent / "configs" / "images" / "sngan_resnet_cifar10.yaml"


def bare_eager(G, D, data, batch, n_critic, lr, betas):
    """The hand-written SN-GAN hinge loop in fp32, eager."""
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    dev = data.device

    def g_update():
        for _ in range(n_critic):
            x = data[torch.randint(len(data), (batch,), device=dev)]
            with torch.no_grad():
                fake = G(torch.randn(batch, G.z_dim, device=dev))
            loss_d = F.relu(1 - D(x)).mean() + F.relu(1 + D(fake)).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        D.requires_grad_(False)
        loss_g = -D(G(torch.randn(batch, G.z_dim, device=dev))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        D.requires_grad_(True)

    return g_update


def timed(fn, steps: int, device: torch.device) -> float:
    """G updates per second over ``steps`` updates (after the caller's warm-up)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--steps", type=int, default=50, help="timed G updates per variant")
    ap.add_argument("--warmup", type=int, default=10, help="untimed G updates (compilation happens here)")
    ap.add_argument("--n-images", type=int, default=10_000)
    ap.add_argument("--variants", nargs="*", default=["bare", "fp32", "bf16", "bf16+compile"])
    args = ap.parse_args()
    device = torch.device(args.device)
    data = torch.rand(args.n_images, 3, 32, 32, device=device) * 2 - 1

    results = {}
    for variant in args.variants:
        precision = "bf16" if variant.startswith("bf16") else "fp32"
        compiled = variant.endswith("compile")
        cfg = make_config(
            PRESET,
            [
                f"train.device={args.device}",
                f"train.precision={precision}",
                f"train.compile={compiled}",
                f"train.channels_last={compiled}",
                "train.ema=null",
                "data.name=digits",  # unused: the data here is random and lives on the device
            ],
        )
        torch.manual_seed(0)
        G, D = build_nets(cfg.model, (3, 32, 32), "image")
        if variant == "bare":
            G, D = G.to(device), D.to(device)
            fn = bare_eager(G, D, data, cfg.train.batch_size, cfg.train.n_critic, cfg.train.lr_d, cfg.train.betas_d)
        else:
            game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
            trainer = Trainer(G, D, game, data, cfg.train)
            fn = trainer.train_step
        for _ in range(args.warmup):
            fn()
        results[variant] = timed(fn, args.steps, device)
        row = {"variant": variant, "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
               "g_updates_per_s": round(results[variant], 3)}
        if "bare" in results:
            row["over_bare"] = round(results[variant] / results["bare"], 3)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
