"""The equilibrium diagnostic: D's mean output on real and generated samples."""

import torch
from torch import nn

from ganlab.metrics import evaluate
from tests.helpers import MixtureSampler


def test_equilibrium_is_one_half_for_an_indifferent_discriminator(ring8):
    class Half(nn.Module):
        def forward(self, x):
            return torch.zeros(len(x), 1)

    v = evaluate(MixtureSampler(ring8.centres, ring8.sigma), ring8, ["equilibrium"], n=100, discriminator=Half())
    assert v["values"]["d_real"] == 0.5 and v["values"]["d_fake"] == 0.5
