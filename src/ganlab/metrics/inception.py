"""The FID Inception network: TensorFlow's "inception-2015-12-05" graph as a PyTorch module.

This is *not* torchvision's Inception3 (REFERENCES §5.1): FID numbers are only comparable
with the TF graph, whose PyTorch ports (pytorch-fid, torch-fidelity) differ from torchvision in
- the branch-pool average pools of Mixed_5b–7b, which exclude the zero padding from the count;
- Mixed_7c's branch pool, a 3×3 max pool;
- 1008 logits, no aux head; every conv is bias-free, then BatchNorm(eps=1e-3), then ReLU;
- the input path: uint8 → TF1 bilinear resize to 299×299 *without* half-pixel centres
  (PyTorch's align_corners=False is the half-pixel convention, so it is written here) →
  (x − 128)/128.
Module names follow the pytorch-fid / torch-fidelity state dicts, so their weight file
``pt_inception-2015-12-05-6726825d.pth`` loads as it is. No weights are bundled or downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganlab.errors import GanlabError
from ganlab.metrics.features import FEATURES, FeatureNet, WeightsFile, load_state_dict_file, loads_weights, sha256_file
from ganlab.serial import refuse_code

WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"
# Only the torch.hub prefix of the sha256 is published (REFERENCES §5.2: the file name ends
# with the first 8 hex digits of its SHA-256); we check that prefix.
SHA256_PREFIX = "6726825d"
ENV_VAR = "GANLAB_INCEPTION_WEIGHTS"
SIZE = 299


def resize_tf1_bilinear(x: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """TF1 ``resize_bilinear(align_corners=False)``: source coordinate = dst · in/out (no +½ shift).

    Lerp along x on the two source rows, then along y, as TF does, in float32.
    """
    h, w = x.shape[-2:]

    def grid(n_in: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        src = torch.arange(size, dtype=torch.float32, device=x.device) * torch.tensor(n_in / size)
        lo = src.long()  # floor, src ≥ 0
        hi = (lo + 1).clamp_max(n_in - 1)
        return lo, hi, src - lo.float()

    y_lo, y_hi, dy = grid(h)
    x_lo, x_hi, dx = grid(w)
    top, bottom = x.index_select(-2, y_lo), x.index_select(-2, y_hi)
    dx = dx.view(1, 1, 1, size)
    top = top.index_select(-1, x_lo) + (top.index_select(-1, x_hi) - top.index_select(-1, x_lo)) * dx
    bottom = bottom.index_select(-1, x_lo) + (bottom.index_select(-1, x_hi) - bottom.index_select(-1, x_lo)) * dx
    return top + (bottom - top) * dy.view(1, 1, size, 1)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """[−1, 1] floats → uint8 by rounding (x·127.5 + 128, clamp, truncate = round of (x+1)·127.5)."""
    if x.dtype == torch.uint8:
        return x
    return (x.float() * 127.5 + 128).clamp(0, 255).to(torch.uint8)


class BasicConv2d(nn.Module):
    def __init__(self, c_in: int, c_out: int, **kw) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, bias=False, **kw)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3)  # TF's epsilon, not PyTorch's 1e-5

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    # TF's average pool divides by the number of real (unpadded) inputs
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, c_in: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(c_in, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(c_in, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(tf_avg_pool(x))], 1)


class InceptionB(nn.Module):
    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(c_in, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, c_in: int, c7: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(c_in, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(c_in, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(c_in, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for i in range(1, 6):
            bd = getattr(self, f"branch7x7dbl_{i}")(bd)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(tf_avg_pool(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Module):
    """Mixed_7b (average branch pool) and Mixed_7c (``max_pool=True``: TF's graph max-pools there)."""

    def __init__(self, c_in: int, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(c_in, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(c_in, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(c_in, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(c_in, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else tf_avg_pool(x)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], 1)


class FIDInception(FeatureNet):
    """uint8 or [−1, 1] images (B, 1|3, H, W) → {"features": pool3 (B, 2048), "logits": (B, 1008)}.

    ``logits`` are pool3 · Wᵀ without the fc bias, as the Inception Score reference uses them.
    """

    dims = 2048
    has_logits = True

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, max_pool=False)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)

    @torch.no_grad()
    def extract(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        # cuDNN convolutions default to TF32 on Ampere+ GPUs, a silent 1e-3 change of the
        # features that no reference number was computed with (REFERENCES §5.7): keep fp32
        cudnn = torch.backends.cudnn
        with cudnn.flags(enabled=cudnn.enabled, benchmark=cudnn.benchmark, deterministic=cudnn.deterministic, allow_tf32=False):
            return super().extract(x)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x = to_uint8(x)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)  # grey → RGB, as the reference pipelines do for MNIST-like data
        x = resize_tf1_bilinear(x.float())  # (B, 3, 299, 299), still on the 0..255 scale
        x = (x - 128) / 128
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # (B, 64, 147, 147)
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))  # (B, 192, 71, 71)
        x = F.max_pool2d(x, 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)  # ends (B, 2048, 8, 8)
        pool = x.mean((2, 3))  # pool_3
        return {"features": pool, "logits": pool @ self.fc.weight.T}


def random_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random but well-scaled weights (He-normal convs, unit BN statistics) for tests and benchmarks.

    PyTorch's default init shrinks activations layer after layer, so the pool3 features of a
    default-initialised net are nearly constant; this keeps them O(1) and informative.
    """
    g = torch.Generator().manual_seed(seed)
    net = FIDInception()
    state = {}
    for k, v in net.state_dict().items():
        if k.endswith("conv.weight"):
            fan_in = v[0].numel()
            v = torch.randn(v.shape, generator=g) * (2.0 / fan_in) ** 0.5
        elif k.endswith("bn.bias") or k == "fc.bias":
            v = 0.1 * torch.randn(v.shape, generator=g)
        elif k == "fc.weight":
            v = torch.randn(v.shape, generator=g) / 2048**0.5
        state[k] = v
    return state


def default_weights_path() -> Path:
    """Where the file is looked for: $GANLAB_INCEPTION_WEIGHTS, else torch.hub's checkpoint cache."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    return torch_home / "hub" / "checkpoints" / WEIGHTS_NAME


def how_to_provide(missing: Path | None = None) -> str:
    """Where the weights come from and the ways to point ganlab at them (nothing is downloaded);
    ``missing`` is the path that was looked at, so the advice does not repeat it."""
    default, named = default_weights_path(), os.environ.get(ENV_VAR)
    if named and missing == Path(named):
        where = f"then set {ENV_VAR} (now that path) to where it is"
    else:
        where = f"then put it at {'that path' if missing == default else default} or set {ENV_VAR}=/path/to/it"
    return f"download {WEIGHTS_NAME} (pytorch-fid release 'fid_weights') on a machine with internet, {where}"


def verify_hash(path: Path) -> str:
    """The file's sha256, which must start with 6726825d (the FID network's); a one-line error otherwise."""
    digest = sha256_file(path)
    if not digest.startswith(SHA256_PREFIX):
        raise GanlabError(
            f"{path} is not the FID Inception weight file (sha256 {digest[:16]}…, expected {SHA256_PREFIX}…)",
            f"use {WEIGHTS_NAME}; for tests on other weights pass check_hash=False (ganlab eval --no-hash-check)",
        )
    return digest


def _weights(weights: str | Path | None = None, check_hash: bool = True, **_: object) -> WeightsFile:
    """The file ``inception(weights=…)`` reads: its declaration for checks before any work."""
    path = Path(weights) if weights is not None else default_weights_path()
    return WeightsFile(path, how_to_provide(path), verify_hash if check_hash else None)


def load_inception(weights: str | Path | None = None, *, check_hash: bool = True) -> FIDInception:
    """The FID Inception with weights from a local file; the file's sha256 must start with 6726825d.

    ``check_hash=False`` accepts any state dict with the right keys — for tests and benchmarks
    on random weights only; the result is then recorded with the file's real hash, never
    mistaken for the FID network. A file whose pickle could run code is refused first, with
    or without the hash check.
    """
    path = _weights(weights).path
    if not path.is_file():
        raise GanlabError(f"FID Inception weights not found at {path}", f"{how_to_provide(path)} (or pass its path)")
    refuse_code(path, "Inception weights")  # before the hash: "could run code" says more than "wrong file"
    digest = verify_hash(path) if check_hash else sha256_file(path)
    net = FIDInception()
    try:
        net.load_state_dict(load_state_dict_file(path, "Inception weights"))
    except (RuntimeError, KeyError) as err:
        raise GanlabError(
            f"{path} does not hold an FID Inception state dict ({str(err).splitlines()[0]})",
            f"use the pytorch-fid file {WEIGHTS_NAME}",
        ) from None
    net.sha256 = digest
    return net.eval().requires_grad_(False)


@FEATURES.register("inception")
@loads_weights(_weights)
def inception(weights: str | Path | None = None, check_hash: bool = True) -> FeatureNet:
    """The FID Inception (TF 2015-12-05 graph), weights from a local file with a hash check."""
    return load_inception(weights, check_hash=check_hash)
