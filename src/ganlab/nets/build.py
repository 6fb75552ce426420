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
    (before any data is loaded): its fields' own bounds and names, a D output size only for Rⁿ
    heads, and conditioning mechanisms that fit."""
    if dataclasses.is_dataclass(model):
        check(model, "model")
    if getattr(model, "conditional", False):
        if model.g_cond == "cbn" and model.g_norm != "batch":
            raise GanlabError(f"model.g_cond=cbn is conditional BatchNorm, but model.g_norm={model.g_norm}",
                              "set model.g_norm=batch, or model.g_cond=concat")  # fmt: skip
        if d_output == "energy":
            raise GanlabError("EBGAN's autoencoder D takes no labels", "use model.conditional=false with game.objective=ebgan")
        if model.d_cond == "projection" and d_output == "vector":
            raise GanlabError("the projection discriminator reads a scalar D output", "use model.d_cond=concat or acgan with it")
    if model.d_out is not None and model.d_out != 1 and d_output not in ("vector", "energy"):
        raise GanlabError(
            f"model.d_out={model.d_out} but this objective reads a scalar D output",
            "remove model.d_out or use a vector objective (sphere, mmd, cramer)",
        )


def build_nets(
    model, shape: tuple[int, ...], kind: str, d_output: str = "logit", n_classes: int | None = None,
    codes: tuple[tuple[int, ...], int] | None = None,
) -> tuple[nn.Module, nn.Module]:
    """(G, D) for samples of ``shape`` ("points" or "image" ``kind``).

    ``d_output`` is the objective's ``output`` kind: "vector" objectives get an Rⁿ head of
    size ``model.d_out`` and "energy" objectives (EBGAN) an autoencoder D. With
    ``model.conditional`` and ``n_classes`` classes, G is G(z, y) and D is D(x, y)
    (``model.g_cond``, ``model.d_cond``; see ``nets.conditional``). With InfoGAN ``codes``
    (categorical sizes, continuous count) G is fed [noise, codes] from its own prior and D gets
    an auxiliary head predicting the codes (``nets.heads``).
    """
    if codes is not None:
        from ganlab.nets.heads import AuxD, CodedG

        size = sum(codes[0]) + codes[1]
        wide = dataclasses.replace(model, z_dim=model.z_dim + size)
        G, D = build_nets(wide, shape, kind, d_output, n_classes)
        return CodedG(G, model.z_dim, codes[0], codes[1]), AuxD(D, size)
    check_model(model, d_output)
    if getattr(model, "conditional", False):
        if not n_classes:
            raise GanlabError("model.conditional=true needs a data set with class labels",
                              "use labelled data, or model.conditional=false")  # fmt: skip
        return _conditional(model, shape, kind, d_output, n_classes)
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
    except ValueError as err:
        raise GanlabError(f"invalid model config: {err}") from None
    return _initialised(G, D, model)


def _conditional(model, shape: tuple[int, ...], kind: str, d_output: str, k: int) -> tuple[nn.Module, nn.Module]:
    """G(z, y) and D(x, y) for ``k`` classes."""
    from ganlab.nets import conditional as cond

    arch = model.arch if model.arch != "auto" else ("mlp" if kind == "points" else "dcgan")
    e = model.embed_dim
    g_in = model.z_dim + (e if model.g_cond == "concat" else 0)
    d_extra = e if model.d_cond == "concat" else 0
    g_width = model.g_width or model.width
    d_out = model.d_out or (VECTOR_OUT_DEFAULT[kind] if d_output == "vector" else 1)
    cbn = k if model.g_cond == "cbn" else None
    try:
        if arch == "mlp":
            dim = 1
            for s in shape:
                dim *= s
            G: nn.Module = MLPGenerator(g_in, dim, g_width, model.depth, model.g_norm, n_classes=cbn)
            if len(shape) > 1:
                G = _Reshape(G, shape)
            body: nn.Module = MLPDiscriminator(dim + d_extra, model.width, model.depth, d_out, model.d_norm)
        else:
            c, h, _ = shape
            G_cls, D_cls = IMAGE_NETS[arch]
            G = G_cls(g_in, c, h, g_width, model.g_norm, n_classes=cbn)
            body = D_cls(c + d_extra, h, model.width, d_out, model.d_norm)
        G = cond.CBNG(G, k) if model.g_cond == "cbn" else cond.ConcatG(G, model.z_dim, k, e)
        if model.d_cond == "projection":
            D: nn.Module = cond.ProjectionD(body, k)
        elif model.d_cond == "concat":
            D = cond.ConcatD(body, k, e, image=arch != "mlp")
        else:
            D = cond.ACGAND(body, k)
    except ValueError as err:
        raise GanlabError(f"invalid model config: {err}") from None
    return _initialised(G, D, model)


def _initialised(G: nn.Module, D: nn.Module, model) -> tuple[nn.Module, nn.Module]:
    """Both nets with ``model.init`` weights, and D spectrally normalised when asked (after the
    init: the normalisation reparametrises the initialised weights)."""
    try:
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

    def forward(self, z, y=None):
        x = self.inner(z) if y is None else self.inner(z, y)
        return x.reshape(-1, *self.shape)
