"""Autoencoders used as energy discriminators (EBGAN, Zhao et al. 2017). Architectures only."""

from __future__ import annotations

import math

import torch
from torch import nn


class MLPAutoencoder(nn.Module):
    """x (B, …) with prod(…) = ``dim`` → reconstruction of the same shape.

    Encoder: ``depth`` LeakyReLU(0.2) layers of ``width`` down to a code of width/2 (at least 2);
    decoder mirrors it. The output is linear (no tanh), so the energy is not capped.
    """

    def __init__(self, dim: int, width: int = 128, depth: int = 2) -> None:
        super().__init__()
        code = max(width // 2, 2)
        enc: list[nn.Module] = []
        d = dim
        for _ in range(max(depth - 1, 0)):
            enc += [nn.Linear(d, width), nn.LeakyReLU(0.2)]
            d = width
        enc.append(nn.Linear(d, code))
        dec: list[nn.Module] = [nn.LeakyReLU(0.2)]
        d = code
        for _ in range(max(depth - 1, 0)):
            dec += [nn.Linear(d, width), nn.LeakyReLU(0.2)]
            d = width
        dec.append(nn.Linear(d, dim))
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x)).reshape(x.shape)


class ConvAutoencoder(nn.Module):
    """x (B, channels, resolution, resolution) → reconstruction of the same shape.

    Encoder: stride-2 4×4 convs (LeakyReLU 0.2) from ``resolution`` down to 4×4, doubling the
    channels from ``width``; decoder: mirrored transposed convs (ReLU). Resolution: a power of
    two ≥ 8 (as the DCGAN nets).
    """

    def __init__(self, channels: int, resolution: int, width: int = 64) -> None:
        super().__init__()
        n = math.log2(resolution / 4) if resolution > 0 else -1
        if resolution < 8 or n != int(n):
            raise ValueError(f"ConvAutoencoder resolution must be a power of two ≥ 8, got {resolution}")
        enc: list[nn.Module] = []
        c_in, c = channels, width
        chans = []
        for _ in range(int(n)):
            enc += [nn.Conv2d(c_in, c, 4, 2, 1), nn.LeakyReLU(0.2)]
            chans.append(c_in)
            c_in, c = c, c * 2
        dec: list[nn.Module] = []
        for i, c_out in enumerate(reversed(chans)):
            dec.append(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1))
            if i < len(chans) - 1:
                dec.append(nn.ReLU())
            c_in = c_out
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))
