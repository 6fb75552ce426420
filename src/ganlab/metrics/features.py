"""Feature networks: what a sample looks like to a metric.

A feature network maps a batch of samples to ``{"features": (B, d), "logits": (B, K)}``
(logits only where the network classifies). It carries the sha256 of its weights so every
result can say exactly which network produced it. Registered by name in ``FEATURES``;
each entry is a factory ``(**options) -> FeatureNet``.

- ``identity``: the samples themselves, flattened (2-D points, where distances are the point).
- ``digits``: a small CNN trained on the digits *train* split only
  (``scripts/train_digits_classifier.py``); 64-d penultimate features, 10 logits. Inception
  is the wrong network for 8×8 grey digits, so a domain classifier stands in for it.
- ``inception``: the FID Inception network, registered in ``ganlab.metrics.inception``,
  weights from a local file.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.registry import Registry

# Each entry is a factory (**options) -> FeatureNet
FEATURES: Registry = Registry("feature network")

DIGITS_WEIGHTS = "digits_classifier.pt"  # in ganlab/assets, written by scripts/train_digits_classifier.py


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (the Inception file is ~91 MiB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class FeatureNet(nn.Module):
    """Base class: ``forward(x) -> {"features": (B, d)[, "logits": (B, K)]}`` in eval mode, no grad.

    ``sha256`` identifies the weights (None for a network without weights); ``dims`` is d.
    """

    sha256: str | None = None
    dims: int = 0
    has_logits: bool = False

    @torch.no_grad()
    def extract(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.eval()
        return self(x)


class Identity(FeatureNet):
    """The samples themselves, flattened: for 2-D points the data space is the feature space."""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"features": x.reshape(len(x), -1)}


@FEATURES.register("identity")
def identity() -> FeatureNet:
    """The samples themselves, flattened (2-D points)."""
    return Identity()


class DigitsClassifier(FeatureNet):
    """A small CNN for 1×8×8 digits in [−1, 1]: conv 16, conv 32, pool, conv 32 → 64 → 10.

    ~47k parameters (~190 KB): small enough to ship inside the package, accurate enough
    (≥ 95 % on the held-out test split, checked in a test) that its 64-d penultimate layer
    separates the classes the way Inception's pool3 separates ImageNet's.
    """

    dims = 64
    has_logits = True

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),  # 8×8 → 4×4
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.shape[1:] != (1, 8, 8):
            raise GanlabError(
                f"the digits feature network takes (B, 1, 8, 8) images, got {tuple(x.shape)}",
                "use --features identity or inception for other data",
            )
        h = self.body(x.float())
        return {"features": h, "logits": self.head(h)}


def digits_weights_path() -> Path:
    return Path(str(resources.files("ganlab") / "assets" / DIGITS_WEIGHTS))


@FEATURES.register("digits")
def digits(weights: str | Path | None = None) -> FeatureNet:
    """The shipped digits classifier (or one at ``weights``), loaded with weights_only=True."""
    path = Path(weights) if weights is not None else digits_weights_path()
    if not path.is_file():
        raise GanlabError(
            f"digits classifier weights not found at {path}",
            "run `python scripts/train_digits_classifier.py` to write them",
        )
    net = DigitsClassifier()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    net.sha256 = sha256_file(path)
    return net.eval()
