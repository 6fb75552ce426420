"""Architectures only: no losses, no training."""

from ganlab.nets.build import ARCHS, NORMS, build_nets, check_model
from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from ganlab.nets.init import INIT_SCHEMES, apply_spectral_norm, init_weights
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator
from ganlab.nets.resnet import ResNetDiscriminator, ResNetGenerator

__all__ = [
    "ARCHS",
    "INIT_SCHEMES",
    "NORMS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "apply_spectral_norm",
    "build_nets",
    "check_model",
    "init_weights",
]
