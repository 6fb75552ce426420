"""Weight initialisation schemes used by the papers."""

from __future__ import annotations

from torch import nn

INIT_SCHEMES = ("normal", "xavier", "orthogonal", "default")


def init_weights(module: nn.Module, scheme: str = "normal") -> nn.Module:
    """Initialise every conv / linear layer of ``module`` in place and return it.

    normal: N(0, 0.02) weights, zero biases, BatchNorm γ ~ N(1, 0.02) (DCGAN, Radford et al. 2016).
    xavier: Glorot-uniform (Sphere GAN, Park & Kwon 2019). orthogonal: gain 1 (SN-GAN code,
    Unrolled GAN). default: PyTorch's own.
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"init must be one of {', '.join(INIT_SCHEMES)}, got {scheme!r}")
    if scheme == "default":
        return module
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            if scheme == "normal":
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif scheme == "xavier":
                nn.init.xavier_uniform_(m.weight)
            else:
                nn.init.orthogonal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine and scheme == "normal":
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) of every conv / linear layer and class
    embedding (a projection discriminator's, as Miyato & Koyama 2018), via PyTorch's
    parametrization (one power iteration per forward in training mode)."""
    from torch.nn.utils.parametrizations import spectral_norm

    targets = [m for m in module.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding))]
    for m in targets:
        spectral_norm(m)
    return module
