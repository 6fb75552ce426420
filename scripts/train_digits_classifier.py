"""Train the `digits` feature network on the digits *train* split and ship its weights.

    python scripts/train_digits_classifier.py [--epochs 60] [--out src/ganlab/assets/digits_classifier.pt]

Only the train split is used for fitting (1,258 images, with ±1-pixel random shifts as
augmentation); no model selection is done on validation or test, so the printed test
accuracy is an honest held-out number. The weights are written as a plain state dict,
loadable with ``torch.load(weights_only=True)``. Deterministic on CPU for a given seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F

from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.metrics.features import DigitsClassifier, digits_weights_path, sha256_file


def shift(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random ±1-pixel translation (pad with the background value −1, crop back to 8×8)."""
    padded = F.pad(x, (1, 1, 1, 1), value=-1.0)
    out = torch.empty_like(x)
    offs = torch.randint(0, 3, (len(x), 2), generator=g)
    for i, (dy, dx) in enumerate(offs.tolist()):
        out[i] = padded[i, :, dy : dy + 8, dx : dx + 8]
    return out


def accuracy(net: DigitsClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (net.eval()(x)["logits"].argmax(1) == y).float().mean().item()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=digits_weights_path())
    args = p.parse_args()

    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    ds = load_dataset(DataConfig(name="digits"))
    x_tr, y_tr = ds.train, torch.as_tensor(ds.labels["train"]).long()
    net = DigitsClassifier()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(x_tr), generator=g)
        for i in range(0, len(perm), 64):
            idx = perm[i : i + 64]
            loss = F.cross_entropy(net(shift(x_tr[idx], g))["logits"], y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if (epoch + 1) % 10 == 0:
            print(f"epoch {epoch + 1:3d}  loss {loss.item():.4f}  train acc {accuracy(net, x_tr, y_tr):.4f}")

    for split in ("val", "test"):
        acc = accuracy(net, ds.split(split), torch.as_tensor(ds.labels[split]).long())
        print(f"{split} accuracy: {acc:.4f} ({len(ds.split(split))} images)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {sha256_file(args.out)})")


if __name__ == "__main__":
    main()
