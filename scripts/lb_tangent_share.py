"""Why the Laplace–Beltrami regulariser costs accuracy on the digits: how much of a classifier's
gradient lies in the span of the Localized GAN's tangents, against random directions.

A supervised classifier (10 labels per class, validation seed 100's labelled set, the SSL study's
settings, no tangent term) is trained; at the first ``--points`` training digits the gradient g
of its predicted log-probability is split into the part inside the k-dimensional span of the
orthonormalised tangents and the rest. The printed share is the mean of ‖Tᵀg‖² / ‖g‖² over the
points, for the Localized GAN's tangents and for random orthonormal frames of the same size (whose
expected share is k / 64). A Localized GAN is trained with ``LocalizedConfig(z_dim=k)`` (about a
minute per k on one core) unless ``--localized`` gives one.

    OMP_NUM_THREADS=1 python scripts/lb_tangent_share.py --k 2 4 8
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganlab.experiments.studies import _digits
from ganlab.geometry import laplace_beltrami as lb
from ganlab.geometry.localized import LocalizedConfig, load_localized, train_localized


def share(f: torch.nn.Module, x: torch.Tensor, T: torch.Tensor) -> float:
    """Mean over x of ‖Tᵀg‖² / ‖g‖², g the gradient of f's predicted log-probability at x."""
    x = x.clone().requires_grad_(True)
    out = f(x)
    g = torch.autograd.grad(out.gather(1, out.argmax(1, keepdim=True)).sum(), x)[0].reshape(len(x), -1)
    inside = torch.einsum("bd,bdk->bk", g, T).pow(2).sum(1)
    return float((inside / g.pow(2).sum(1)).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--k", type=int, nargs="+", default=[8], help="tangents per point (the Localized GAN's z_dim)")
    ap.add_argument("--localized", type=Path, default=None, help="a localized.pt to use (its own z_dim) instead of training")
    ap.add_argument("--points", type=int, default=256, help="training digits to measure at")
    ap.add_argument("--steps", type=int, default=3000, help="Localized GAN steps when training one")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = _digits()
    y = ds.labels["train"]
    lab = lb.select_labelled(y, 10, 100)
    f = lb.train_classifier(ds.train[lab], torch.as_tensor(y[lab]), None, None, lb.SSLConfig(lam=0.0), seed=100)
    x = ds.train[: args.points]
    models = [load_localized(args.localized)] if args.localized else [
        train_localized(ds.train, LocalizedConfig(steps=args.steps, z_dim=k), progress=False) for k in args.k]  # fmt: skip
    print("| k | share in the Localized GAN's tangent span | share in a random span | k / 64 |")
    print("|---|---|---|---|")
    for model in models:
        k = model.G.z_dim
        T = lb.orthonormal_tangents(model.G.tangents(x).detach())
        R = lb.random_tangents(len(x), x[0].numel(), k, 100)
        print(f"| {k} | {share(f, x, T):.3f} | {share(f, x, R):.3f} | {k / x[0].numel():.3f} |")


if __name__ == "__main__":
    main()
