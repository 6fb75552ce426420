"""The one thing objectives and penalties see: the two players and a batch of samples."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn


class Batch:
    """Real and fake samples with the discriminator that scores them.

    ``d_real = D(x_real)`` and ``d_fake = D(x_fake)`` are computed on first use and cached, so
    an objective and the penalties that share them cost one forward pass per side. ``G`` and
    ``z`` are there for generator-side penalties (tangents of G at z). ``rng`` is the stream
    penalties draw their randomness from (interpolation coefficients); None: torch's global one.

    **Labels.** For a class-conditional game ``y_real`` and ``y_fake`` are the labels of the
    samples and D is D(x, y); ``critic("real")`` is x ↦ D(x, y_real), which every penalty uses to
    score points of its own (interpolates take the real labels: with the trainer's matched fake
    labels, y_fake = y_real, an interpolate lies between two samples of one class). With
    ``aux = K`` the last K outputs of D are an auxiliary head (AC-GAN's class logits, InfoGAN's
    code predictions): ``d_real`` is the rest, ``aux_real`` those K.

    **Groups of runs.** With ``runs = N`` every tensor has a leading run dimension — x_real is
    (N, B, …), D and G map (N, B, …) to (N, B, …) — and ``rng`` is one generator per run. The
    runs never interact: ``Game`` evaluates the objective of each run on its own slice
    (``run(i)``), and penalties reduce per run with ``mean`` (one value per run, shape (N,)),
    so a mean over the batch never becomes a mean over runs × batch.

    Whether gradients flow into G through ``x_fake`` is decided by whoever builds the batch
    (the trainer passes a detached ``x_fake`` for D steps); the maths here never detaches.
    """

    def __init__(
        self,
        D: nn.Module | Any,
        x_real: torch.Tensor,
        x_fake: torch.Tensor,
        G: nn.Module | Any | None = None,
        z: torch.Tensor | None = None,
        *,
        rng: torch.Generator | Sequence[torch.Generator] | None = None,
        runs: int | None = None,
        d_real: torch.Tensor | None = None,
        d_fake: torch.Tensor | None = None,
        y_real: torch.Tensor | None = None,
        y_fake: torch.Tensor | None = None,
        aux: int | None = None,
    ) -> None:
        self.D = D
        self.x_real = x_real
        self.x_fake = x_fake
        self.G = G
        self.z = z
        self.rng = rng
        self.runs = runs
        self.y_real = y_real
        self.y_fake = y_fake
        self.aux = aux
        self._out: dict[str, torch.Tensor] = {}
        if d_real is not None:
            self._out["real"] = d_real
        if d_fake is not None:
            self._out["fake"] = d_fake
        self._group: tuple[Batch, int] | None = None  # (group, i) for run i of a group

    # --- D's outputs -----------------------------------------------------------------------
    def _scored(self, side: str) -> torch.Tensor:
        if side not in self._out:
            if self._group:  # run i of a group takes its slice of the group's one batched forward pass
                self._out[side] = self._group[0]._scored(side)[self._group[1]]
            else:
                x, y = (self.x_real, self.y_real) if side == "real" else (self.x_fake, self.y_fake)
                self._out[side] = self.D(x) if y is None else self.D(x, y)
        return self._out[side]

    @property
    def d_real(self) -> torch.Tensor:
        """D's raw output on the real samples (logit or critic value), shape (B, …)."""
        out = self._scored("real")
        return out[..., : -self.aux] if self.aux else out

    @property
    def d_fake(self) -> torch.Tensor:
        """D's raw output on the fake samples, shape (B, …)."""
        out = self._scored("fake")
        return out[..., : -self.aux] if self.aux else out

    @property
    def aux_real(self) -> torch.Tensor:
        """The auxiliary head on the real samples (B, K): AC-GAN class logits, InfoGAN code predictions."""
        return self._scored("real")[..., -self.aux :]

    @property
    def aux_fake(self) -> torch.Tensor:
        return self._scored("fake")[..., -self.aux :]

    def critic(self, labels: str = "real") -> Callable[[torch.Tensor], torch.Tensor]:
        """x ↦ D(x) (its scoring part), with the batch's ``labels`` ("real" or "fake") when conditional."""
        y = self.y_real if labels == "real" else self.y_fake
        k = self.aux

        def score(x: torch.Tensor) -> torch.Tensor:
            out = self.D(x) if y is None else self.D(x, y)
            return out[..., :-k] if k else out

        return score

    # --- what penalties need to stay per run -----------------------------------------------
    @property
    def lead(self) -> int:
        """Leading dimensions before a sample's own: 1 (batch), or 2 (run, batch) in a group."""
        return 2 if self.runs else 1

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """The mean over the batch: a scalar, or one value per run (N,) in a group."""
        return values.reshape(self.runs, -1).mean(1) if self.runs else values.mean()

    def uniform(self, x: torch.Tensor) -> torch.Tensor:
        """α ~ U[0, 1], one per sample of ``x`` (shaped to broadcast over it), from ``rng``."""
        lead = self.lead
        shape = x.shape[lead - 1 : lead] + (1,) * (x.dim() - lead)
        if self.runs:
            return torch.stack([torch.rand(shape, dtype=x.dtype, device=x.device, generator=g) for g in self.rng])
        return torch.rand(shape, dtype=x.dtype, device=x.device, generator=self.rng)

    def rademacher(self, like: torch.Tensor) -> torch.Tensor:
        """±1 with equal probability, shaped like ``like``, from ``rng``."""

        def draw(shape: torch.Size, g: torch.Generator | None) -> torch.Tensor:
            return torch.randint(0, 2, shape, device=like.device, generator=g).to(like.dtype) * 2 - 1

        if self.runs:
            return torch.stack([draw(like.shape[1:], g) for g in self.rng])
        return draw(like.shape, self.rng)

    def run(self, i: int) -> Batch:
        """Run i of a group as a batch of its own (views of the group's tensors and outputs)."""
        D_i = self.D.member(i) if hasattr(self.D, "member") else self.D
        G_i = self.G.member(i) if self.G is not None and hasattr(self.G, "member") else self.G

        def at(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t[i]

        one = Batch(D_i, self.x_real[i], self.x_fake[i], G_i, at(self.z), rng=self.rng[i] if self.rng is not None else None,
                    y_real=at(self.y_real), y_fake=at(self.y_fake), aux=self.aux)  # fmt: skip
        one._group = (self, i)
        return one

    def __repr__(self) -> str:
        runs = f", runs={self.runs}" if self.runs else ""
        return f"Batch(x_real={tuple(self.x_real.shape)}, x_fake={tuple(self.x_fake.shape)}{runs})"
