"""Build G and D for a data set, an objective and a ModelConfig."""

from __future__ import annotations

import dataclasses

from torch import nn

from ganlab.errors import GanlabError
from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from ganlab.nets.init import apply_spectral_norm, init_weights
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator
from ganlab.nets.resnet import ResNetDiscriminator, ResNetGenerator
from ganlab.typed import check

# convolutional (G, D) pairs; both take the same arguments: G(z_dim, channels, resolution, width, norm),
# D(channels, resolution, width, out_dim, norm)
IMAGE_NETS: dict[str, tuple[type[nn.Module], type[nn.Module]]] = {
    "dcgan": (DCGANGenerator, DCGANDiscriminator),
    "resnet": (ResNetGenerator, ResNetDiscriminator),
}
ARCHS = ("auto", "mlp", *IMAGE_NETS)
NORMS = ("batch", "layer", "none")  # model.g_norm / model.d_norm
VECTOR_OUT_DEFAULT = {"points": 16, "image": 128}  # D's Rⁿ size for vector objectives when unset


def check_model(model, d_output: str = "logit") -> None:
    """What a ModelConfig must satisfy for an objective whose D output is ``d_output``
    (before any data is loaded): its fields' own bounds and names, and a D output size only for Rⁿ heads."""
    if dataclasses.is_dataclass(model):
        check(model, "model")
    if model.d_out is not None and model.d_out != 1 and d_output not in ("vector", "energy"):
        raise GanlabError(
            f"model.d_out={model.d_out} but this objective reads a scalar D output",
            "remove model.d_out or use a vector objective (sphere, mmd, cramer)",
        )


def build_nets(model, shape: tuple[int, ...], kind: str, d_output: str = "logit") -> tuple[nn.Module, nn.Module]:
    """(G, D) for samples of ``shape`` ("points" or "image" ``kind``).

    ``d_output`` is the objective's ``output`` kind: "vector" objectives get an Rⁿ head of
    size ``model.d_out`` and "energy" objectives (EBGAN) an autoencoder D.
    """
    check_model(model, d_output)
    arch = model.arch
    if arch == "auto":
        arch = "mlp" if kind == "points" else "dcgan"
    if arch in IMAGE_NETS and len(shape) != 3:
        raise GanlabError(f"model.arch={arch} needs images (C, H, W), but the data has samples of shape {shape}", "use model.arch=mlp")
    d_out = model.d_out or (VECTOR_OUT_DEFAULT[kind] if d_output == "vector" else 1)
    g_width = model.g_width or model.width
    try:
        if arch == "mlp":
            dim = 1
            for s in shape:
                dim *= s
            G: nn.Module = MLPGenerator(model.z_dim, dim, g_width, model.depth, model.g_norm)
            if len(shape) > 1:
                G = _Reshape(G, shape)
            if d_output == "energy":
                from ganlab.nets.autoencoder import MLPAutoencoder

                D: nn.Module = MLPAutoencoder(dim, model.width, model.depth)
            else:
                D = MLPDiscriminator(dim, model.width, model.depth, d_out, model.d_norm)
        else:
            c, h, w = shape
            if h != w:
                raise GanlabError(f"model.arch={arch} needs square images, got {h}×{w}", "crop or resize the data to a square")
            G_cls, D_cls = IMAGE_NETS[arch]
            G = G_cls(model.z_dim, c, h, g_width, model.g_norm)
            if d_output == "energy":  # EBGAN's D is an autoencoder, whatever G's architecture
                from ganlab.nets.autoencoder import ConvAutoencoder

                D = ConvAutoencoder(c, h, model.width)
            else:
                D = D_cls(c, h, model.width, d_out, model.d_norm)
        init_weights(G, model.init)
        init_weights(D, model.init)
    except ValueError as err:
        raise GanlabError(f"invalid model config: {err}") from None
    if model.spectral_norm:
        apply_spectral_norm(D)
    return G, D


class _Reshape(nn.Module):
    """Wraps a flat generator so it emits samples of ``shape``."""

    def __init__(self, inner: nn.Module, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.inner = inner
        self.shape = tuple(shape)
        self.z_dim = inner.z_dim

    def forward(self, z):
        return self.inner(z).reshape(-1, *self.shape)
