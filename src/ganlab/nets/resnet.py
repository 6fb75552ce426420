"""SN-GAN ResNet generator and discriminator (Miyato et al. 2018, appendix B; Gulrajani et al. 2017).

G: z → linear to s×s×c₀ → up-blocks → BN → ReLU → conv3×3 → tanh, where an up-block is
   BN → ReLU → nearest 2× upsample → conv3×3 → BN → ReLU → conv3×3, plus a shortcut
   upsample → conv1×1.
D: optimised first block (conv3×3 → ReLU → conv3×3 → avgpool, shortcut avgpool → conv1×1),
   blocks ReLU → conv3×3 → ReLU → conv3×3 (→ avgpool), shortcut conv1×1 (→ avgpool) when the
   channels or size change, identity otherwise; then ReLU → global *sum* pool → linear.

The number of blocks follows the resolution (``resnet_plan``):
- 32² (CIFAR-10, SN-GAN Table 4): G 4×4 → 3 up-blocks, every block ``width`` channels (SN-GAN:
  256); D 2 down-blocks + 2 plain blocks of ``width`` channels (SN-GAN: 128).
- 48² (STL-10, SN-GAN Table 5): G from 6×6 with 8w → 4w → 2w → w channels (SN-GAN w = 64);
  D down-blocks w → 2w → 4w → 8w to 3×3, then a plain block of 16w.
- 64², 128², and any other 2ⁿ ≥ 8 or 6·2ⁿ ≥ 24: G from 4×4 (6×6) with min(16, 2ᵏ)·w channels halving to w;
  D down-blocks w, 2w, … to 4×4 (3×3), then a plain block of 16w (SN-GAN ImageNet 128²).

D's output is (B, ``out_dim``): 1 for scalar objectives, up to 1024 for Sphere GAN's Rⁿ
feature (its geometric block is the objective's, not the net's). Spectral normalisation is
applied by ``build_nets`` through ``apply_spectral_norm`` (every conv and linear, shortcuts
included, as in SN-GAN).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ganlab.nets.conditional import norm_layer, run


def resnet_plan(resolution: int) -> tuple[int, list[int], list[int], list[int]]:
    """(start side s, G channel multipliers [c₀, block outs…], D down-block multipliers, D plain-block multipliers)."""
    if resolution == 32:  # SN-GAN CIFAR-10: constant width, D keeps 8×8 for its last two blocks
        return 4, [1, 1, 1, 1], [1, 1], [1, 1]
    for start, n_min in ((4, 1), (6, 2)):  # as DCGAN: 6×6 starts for 24, 48, 96, …
        n = math.log2(resolution / start) if resolution > 0 else -1
        if n >= n_min and n == int(n):
            n = int(n)
            g = [min(16, 2**k) for k in range(n, -1, -1)]  # 48: 8,4,2,1; 64: 16,8,4,2,1; 128: 16,16,8,4,2,1
            n_down = n + 1 if start == 6 else n  # D pools to 3×3 (SN-GAN STL-10) or 4×4
            d = [min(16, 2**k) for k in range(n_down)]  # 48: 1,2,4,8 (to 3×3); 128: 1,2,4,8,16 (to 4×4)
            return start, g, d, [16]
    raise ValueError(f"ResNet resolution must be a power of two ≥ 8 or 6·2ⁿ ≥ 24 (8, 16, 24, 32, 48, 64, 96, 128, …), got {resolution}")


class GBlock(nn.Module):
    """BN → ReLU → upsample → conv3 → BN → ReLU → conv3, plus upsample → conv1 shortcut."""

    def __init__(self, c_in: int, c_out: int, norm: str = "batch", n_classes: int | None = None) -> None:
        super().__init__()
        self.conditional = bool(n_classes) and norm == "batch"  # conditional BatchNorm (Miyato & Koyama 2018)
        self.norm1 = norm_layer(norm, c_in, 2, n_classes)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.norm2 = norm_layer(norm, c_out, 2, n_classes)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        n1, n2 = (lambda t: self.norm1(t, y), lambda t: self.norm2(t, y)) if self.conditional else (self.norm1, self.norm2)
        h = F.interpolate(F.relu(n1(x)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(n2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class DBlock(nn.Module):
    """[norm] → ReLU → conv3 → [norm] → ReLU → conv3 (→ avgpool); shortcut conv1 (→ avgpool) when
    the shape changes. Hidden channels = input channels (SN-GAN). ``first``: the optimised first
    block, which sees the image itself: no activation before its first conv, shortcut pools first."""

    def __init__(self, c_in: int, c_out: int, down: bool, first: bool = False, norm: str = "none") -> None:
        super().__init__()
        hidden = c_out if first else c_in
        self.down, self.first = down, first
        self.norm1 = nn.Identity() if first else norm_layer(norm, c_in, 2)
        self.conv1 = nn.Conv2d(c_in, hidden, 3, 1, 1)
        self.norm2 = norm_layer(norm, hidden, 2)
        self.conv2 = nn.Conv2d(hidden, c_out, 3, 1, 1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if (down or c_in != c_out) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x if self.first else F.relu(self.norm1(x)))
        h = self.conv2(F.relu(self.norm2(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.first:
            s = self.shortcut(F.avg_pool2d(x, 2))  # pool, then 1×1: 4× cheaper on the 3-channel image
        elif self.shortcut is not None:
            s = self.shortcut(x)
            s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


class ResNetGenerator(nn.Module):
    """z (B, z_dim) → x (B, channels, resolution, resolution) in [−1, 1] (tanh)."""

    def __init__(self, z_dim: int, channels: int, resolution: int, width: int = 256, norm: str = "batch",
                 n_classes: int | None = None) -> None:  # fmt: skip
        super().__init__()
        self.z_dim = z_dim
        start, mults, _, _ = resnet_plan(resolution)
        chans = [m * width for m in mults]
        self.fc = nn.Sequential(nn.Linear(z_dim, chans[0] * start * start), nn.Unflatten(1, (chans[0], start, start)))
        self.blocks = nn.Sequential(*(GBlock(a, b, norm, n_classes) for a, b in zip(chans[:-1], chans[1:])))
        self.out = nn.Sequential(norm_layer(norm, chans[-1], 2, n_classes), nn.ReLU(), nn.Conv2d(chans[-1], channels, 3, 1, 1), nn.Tanh())

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return run(self.out, run(self.blocks, self.fc(z), y), y)


class ResNetDiscriminator(nn.Module):
    """x (B, channels, resolution, resolution) → d (B, out_dim)."""

    def __init__(self, channels: int, resolution: int, width: int = 128, out_dim: int = 1, norm: str = "none") -> None:
        super().__init__()
        _, _, down, plain = resnet_plan(resolution)
        blocks: list[nn.Module] = []
        c = channels
        for i, m in enumerate(down):
            blocks.append(DBlock(c, m * width, down=True, first=i == 0, norm=norm))
            c = m * width
        for m in plain:
            blocks.append(DBlock(c, m * width, down=False, norm=norm))
            c = m * width
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(c, out_dim)

    @property
    def head(self) -> nn.Linear:
        return self.linear

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """φ(x): ReLU, then global sum pooling (SN-GAN), not the mean."""
        return F.relu(self.blocks(x)).sum(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.features(x))
