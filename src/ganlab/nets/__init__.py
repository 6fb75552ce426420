"""Architectures only: no losses, no training."""

from ganlab.nets.build import build_nets
from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from ganlab.nets.init import apply_spectral_norm, init_weights
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator
from ganlab.nets.resnet import ResNetDiscriminator, ResNetGenerator

__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "apply_spectral_norm",
    "build_nets",
    "init_weights",
]
