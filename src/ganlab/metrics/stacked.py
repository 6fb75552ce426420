"""Mode coverage of stacked digits (the Stacked MNIST protocol: Metz et al. 2017, VEEGAN, PacGAN §5.2).

Each of a sample's three channels is classified by the shipped digits classifier (trained on
the digits' train split only); the sample's mode is 100·c₁ + 10·c₂ + c₃ of K = 1,000.

- ``stacked_modes``: modes with at least one sample (of 1,000).
- ``stacked_kl`` = KL(p ‖ uniform) = Σₖ pₖ log(K pₖ), pₖ the share of samples in mode k — the
  "reverse KL" of PacGAN (Lin et al. 2018, Table 2). Empty modes contribute 0 (p log p → 0),
  so the value is finite, 0 for a uniform histogram and log K for a single mode.
PacGAN classifies 26,000 samples; the option ``n`` (default 26,000) is the count drawn from a
generator, and given samples are used as they are. The count used is in the result's protocol.

The feature network ``stacked_digits`` (the digits classifier on each channel) serves FID,
KID, precision/recall and the Inception Score of 3×8×8 stacks: features are the three 64-d
penultimate layers concatenated (192-d), logits the joint log-probabilities of the 1,000 modes,
log p(c₁, c₂, c₃ | x) = Σᵢ log softmax(ℓᵢ)_{cᵢ} (channels classified independently).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, generate, metric
from ganlab.metrics.features import FEATURES, DigitsClassifier, FeatureNet
from ganlab.metrics.features import digits as digits_net
from ganlab.metrics.modes import kl_to_uniform  # the reverse KL of the 2-D mixtures, one definition
from ganlab.typed import field

K = 1000  # 10 classes per channel, 3 channels
PACGAN_N = 26_000  # samples PacGAN classifies for Table 2


class StackedDigitsClassifier(FeatureNet):
    """The digits classifier on each channel of (B, 3, 8, 8) stacks: 192-d features, 1,000 joint logits."""

    dims = 3 * DigitsClassifier.dims
    has_logits = True

    def __init__(self, net: DigitsClassifier) -> None:
        super().__init__()
        self.net = net
        self.sha256 = net.sha256  # the weights are the digits classifier's, nothing more

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        b = self._check(x)
        out = self.net(x.reshape(b * 3, 1, 8, 8))
        logp = torch.log_softmax(out["logits"], dim=1).reshape(b, 3, 10)
        joint = logp[:, 0, :, None, None] + logp[:, 1, None, :, None] + logp[:, 2, None, None, :]  # (B, 10, 10, 10): index c₁c₂c₃
        return {"features": out["features"].reshape(b, self.dims), "logits": joint.reshape(b, K)}

    @torch.no_grad()
    def channel_classes(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3) class of each channel (argmax of the digits classifier)."""
        self.eval()
        b = self._check(x)
        return self.net(x.reshape(b * 3, 1, 8, 8))["logits"].argmax(1).reshape(b, 3)

    @staticmethod
    def _check(x: torch.Tensor) -> int:
        if x.shape[1:] != (3, 8, 8):
            raise GanlabError(f"the stacked_digits feature network takes (B, 3, 8, 8) stacks, got {tuple(x.shape)}",
                              "use it with the stacked_digits data (or --features digits for 1×8×8 digits)")  # fmt: skip
        return len(x)


@FEATURES.register("stacked_digits")
def stacked_digits(weights: str | Path | None = None) -> FeatureNet:
    """The shipped digits classifier applied to each channel of 3×8×8 stacks (or one at ``weights``)."""
    return StackedDigitsClassifier(digits_net(weights))


def modes_of(classes: np.ndarray) -> np.ndarray:
    """Mode 100·c₁ + 10·c₂ + c₃ of each row of (N, 3) channel classes."""
    c = np.asarray(classes, np.int64)
    return c[:, 0] * 100 + c[:, 1] * 10 + c[:, 2]


def stacked_modes_from_classes(classes: np.ndarray) -> dict[str, float]:
    """Modes covered (at least one sample, of 1,000) and KL of the mode histogram to uniform."""
    counts = np.bincount(modes_of(classes), minlength=K)
    return {"stacked_modes": float((counts > 0).sum()), "stacked_kl": kl_to_uniform(counts)}


@dataclasses.dataclass(frozen=True)
class StackedOptions:
    n: int = field(PACGAN_N, low=1)  # samples drawn from a generator (PacGAN Table 2: 26,000); given samples are used as they are


@metric("stacked_modes", options=StackedOptions, better={"stacked_modes": True, "stacked_kl": False})
def stacked_modes(fake: Side, real: Side, o: StackedOptions) -> dict[str, float]:
    """Modes of 1,000 covered by 3×8×8 stacked digits and KL(p_modes ‖ uniform) (PacGAN Table 2)."""
    ctx = fake.ctx
    available = len(ctx.fake_samples) if ctx.fake_samples is not None else ctx.n  # what fake.x holds or would generate
    if ctx.generator is None or available == o.n:
        x = fake.x  # given samples, or the evaluation's own when their count is the one asked for
    else:
        x = generate(ctx.generator, o.n, seed=ctx.seed, batch_size=ctx.batch_size, device=ctx.device)
        ctx.log.append(("generated", "samples", len(x)))
    if len(x) == 0:
        raise GanlabError("stacked_modes got no samples", "generate at least one sample")
    net = ctx.net("stacked_digits")
    classes = torch.cat([net.channel_classes(x[i : i + ctx.batch_size].to(ctx.device)).cpu()
                         for i in range(0, len(x), ctx.batch_size)])  # fmt: skip
    ctx.log.append(("generated", "logits:stacked_digits", len(classes)))  # the protocol names the classifier and its hash
    return stacked_modes_from_classes(classes.numpy())
