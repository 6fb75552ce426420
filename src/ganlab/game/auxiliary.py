"""Loss terms read from D's auxiliary head (``Batch.aux``): AC-GAN's classifier, InfoGAN's code posterior.

Both are terms of *both* players' losses (``player = "both"``), registered as penalties so a
game adds them by name: ``game.penalties=[{name: acgan, weight: 1}]``.

- ``acgan`` (Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier
  GANs", eq. 2–3): the class log-likelihood L_C = E log P(C = c | x). D maximises it on real
  and generated samples, G on its own: as losses, weight · [CE(aux_real, y_real) + CE(aux_fake,
  y_fake)] for D and weight · CE(aux_fake, y_fake) for G (TF-GAN's acgan_discriminator_loss /
  acgan_generator_loss; the "both sides" form of Odena's L_C + L_S split).
- ``infogan`` (Chen et al. 2016, "InfoGAN", eq. 5): the variational lower bound of the mutual
  information between the structured codes c and G(z, c), L_I = E log Q(c | G(z, c)). As a loss
  for G and for Q (D's auxiliary head): −weight · mean over code groups of E log Q(c_k | x̃), each
  categorical group with softmax logits, the continuous codes one group of unit-variance
  Gaussians around Q's means, averaged over their entries (TF-GAN's mutual_information_penalty
  and torchgan's MutualInformationPenalty average the groups' mean log-likelihoods so).
  The codes are the last entries of batch.z: Σ categorical sizes one-hot entries, then the
  continuous codes (the generator's prior, ``nets.heads.CodedG``, draws them so).
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganlab.game.batch import Batch
from ganlab.game.penalties import PENALTIES, Penalty
from ganlab.typed import field


def _ce(logits: torch.Tensor, labels: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Softmax cross-entropy per sample, reduced per run by the batch: E[−log softmax(l)_y]."""
    lead = logits.shape[:-1]
    per = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none").reshape(lead)
    return batch.mean(per)


@PENALTIES.register("acgan")
@dataclasses.dataclass(frozen=True)
class ACGAN(Penalty):
    """weight · CE of D's class head: D on real and fake samples, G on its fakes (Odena et al. 2017)."""

    player: ClassVar[str] = "both"
    weight: float = field(1.0, low=0)  # Odena et al. weigh the class and source terms equally

    def term(self, batch: Batch, player: str) -> torch.Tensor:
        if batch.y_fake is None:
            raise ValueError("acgan needs labelled samples: train with model.conditional=true, model.d_cond=acgan")
        fake = _ce(batch.aux_fake, batch.y_fake, batch)
        if player == "G":
            return self.weight * fake  # G wants its fakes classified as the class it was asked for
        return self.weight * (_ce(batch.aux_real, batch.y_real, batch) + fake)

    def __call__(self, batch: Batch) -> torch.Tensor:
        return self.term(batch, "D")


def mutual_information(log_likelihoods: list[torch.Tensor]) -> torch.Tensor:
    """−mean over code groups of their mean log-likelihood (TF-GAN's mutual_information_penalty)."""
    return -torch.stack([ll for ll in log_likelihoods]).mean(0)


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor | float = 1.0) -> torch.Tensor:
    """log N(x; mean, std²) averaged over the last dimension (the code's entries), per sample —
    TF-GAN and torchgan average a group's log-likelihood over samples and entries alike."""
    std = torch.as_tensor(std, dtype=x.dtype, device=x.device)
    return (-0.5 * ((x - mean) / std).pow(2) - std.log() - 0.5 * math.log(2 * math.pi)).mean(-1)


@PENALTIES.register("infogan")
@dataclasses.dataclass(frozen=True)
class InfoGAN(Penalty):
    """−weight · E log Q(c | G(z, c)) over the structured codes (Chen et al. 2016), for G and Q."""

    player: ClassVar[str] = "both"
    weight: float = field(1.0, low=0)  # Chen et al. 2016: λ = 1 for discrete codes
    categorical: tuple[int, ...] = field((10,), low=2)  # sizes of the categorical codes (MNIST: one of 10)
    continuous: int = field(0, low=0)  # number of continuous codes, uniform on [−1, 1] (MNIST: 2)

    @property
    def aux_outputs(self) -> int:  # type: ignore[override]
        return sum(self.categorical) + self.continuous

    @property
    def code_size(self) -> int:
        return sum(self.categorical) + self.continuous

    def log_likelihoods(self, codes: torch.Tensor, q: torch.Tensor) -> list[torch.Tensor]:
        """Per group, log Q(c_k | x) per sample, from the codes (…, C) and Q's outputs (…, C)."""
        out, at = [], 0
        for k in self.categorical:
            target = codes[..., at : at + k].argmax(-1)
            logp = torch.log_softmax(q[..., at : at + k], dim=-1)
            out.append(logp.gather(-1, target.unsqueeze(-1)).squeeze(-1))
            at += k
        if self.continuous:
            out.append(gaussian_log_likelihood(codes[..., at:], q[..., at:]))
        return out

    def term(self, batch: Batch, player: str) -> torch.Tensor:
        if batch.z is None:
            raise ValueError("infogan needs the generator's codes (batch.z)")
        codes = batch.z[..., -self.code_size :]
        lls = [batch.mean(ll) for ll in self.log_likelihoods(codes, batch.aux_fake)]
        return self.weight * mutual_information(lls)

    def __call__(self, batch: Batch) -> torch.Tensor:
        return self.term(batch, "G")
