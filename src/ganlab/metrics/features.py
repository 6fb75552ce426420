"""Feature networks: what a sample looks like to a metric.

A feature network maps a batch of samples to ``{"features": (B, d), "logits": (B, K)}``
(logits only where the network classifies). It carries the sha256 of its weights so every
result can say exactly which network produced it. Registered by name in ``FEATURES``;
each entry is a factory ``(**options) -> FeatureNet``.

- ``identity``: the samples themselves, flattened (2-D points, where distances are the point).
- ``digits``: a small CNN trained on the digits *train* split only
  (``scripts/train_digits_classifier.py``); 64-d penultimate features, 10 logits. Inception
  is the wrong network for 8×8 grey digits, so a domain classifier stands in for it.
- ``inception``: the FID Inception network, registered in ``ganlab.metrics.inception``,
  weights from a local file.

A factory that reads a weights file declares where (``loads_weights``), so that a run can
check the file before any work (``check_weights``), not after training. Every weight
file is judged before it is unpickled (``load_state_dict_file``): one whose pickle imports
anything beyond tensors is refused as able to run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import warnings
import zipfile
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.registry import Registry
from ganlab.serial import refuse_code

# Each entry is a factory (**options) -> FeatureNet
FEATURES: Registry = Registry("feature network")

DIGITS_WEIGHTS = "digits_classifier.pt"  # in ganlab/assets, written by scripts/train_digits_classifier.py


F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass(frozen=True)
class WeightsFile:
    """The weights file a feature network would read, declared next to its factory."""

    path: Path
    how: str  # how to provide the file (nothing is downloaded)
    verify: Callable[[Path], None] | None = None  # a check beyond existence (e.g. a hash), raising GanlabError


def loads_weights(locate: Callable[..., WeightsFile]) -> Callable[[F], F]:
    """Declare, on a feature network's factory, the weights file it reads: ``locate(**options)``
    with the factory's options gives its ``WeightsFile``, so that ``check_weights`` can judge
    the file before any work."""

    def deco(factory: F) -> F:
        factory.weights_file = locate  # type: ignore[attr-defined]
        return factory

    return deco


def check_weights(name: str, options: Mapping[str, Any] | None = None, *, who: str = "it needs", fix: str = "") -> None:
    """Refuse, with one line, a feature network ``name`` (built with ``options``) whose declared
    weights file is missing, could run code, or fails its own check; ``who`` says what needs the
    network ("metric fid needs"), ``fix`` adds another way out. Networks without a weights file
    pass. Reads the file's pickle opcodes (and whatever ``verify`` reads), never unpickles it."""
    locate = getattr(FEATURES.get(name), "weights_file", None)
    if locate is None:
        return
    weights = locate(**dict(options or {}))
    if not weights.path.is_file():
        raise GanlabError(f"{who} the {name} feature network, whose weights file {weights.path} does not exist",
                          weights.how + (f"; or {fix}" if fix else ""))  # fmt: skip
    refuse_code(weights.path, f"{name} weights")
    if weights.verify is not None:
        weights.verify(weights.path)


def load_state_dict_file(path: str | Path, what: str) -> dict[str, torch.Tensor]:
    """The state dict in torch file ``path`` (``what`` names it in errors), on the CPU.

    The file is judged before it is unpickled (``serial.refuse_code``: what its pickle would
    import, read from the opcodes), so a file that could run code gets that one-line refusal
    whatever torch's weights-only unpickler would say; a file torch cannot read, or that holds
    something other than named tensors, is a one-line error naming it.
    """
    path = Path(path)
    refuse_code(path, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's warnings about old pickle protocols: the file loads or is refused below
            state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError, IndexError,
            AttributeError, TypeError, UnicodeDecodeError) as err:  # fmt: skip
        first = (str(err).splitlines() or [type(err).__name__])[0][:100]
        raise GanlabError(f"{what} {path} is corrupt or not a torch.save file ({first})", "pass the weights file itself") from None
    if not isinstance(state, Mapping) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise GanlabError(f"{what} {path} does not hold a state dict (names → tensors)",
                          "pass a file written by torch.save(net.state_dict())")  # fmt: skip
    return dict(state)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (the Inception file is ~91 MiB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class FeatureNet(nn.Module):
    """Base class: ``forward(x) -> {"features": (B, d)[, "logits": (B, K)]}`` in eval mode, no grad.

    ``sha256`` identifies the weights (None for a network without weights); ``dims`` is d.
    """

    sha256: str | None = None
    dims: int = 0
    has_logits: bool = False

    @torch.no_grad()
    def extract(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.eval()
        return self(x)


class Identity(FeatureNet):
    """The samples themselves, flattened: for 2-D points the data space is the feature space."""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"features": x.reshape(len(x), -1)}


@FEATURES.register("identity")
def identity() -> FeatureNet:
    """The samples themselves, flattened (2-D points)."""
    return Identity()


class DigitsClassifier(FeatureNet):
    """A small CNN for 1×8×8 digits in [−1, 1]: conv 16, conv 32, pool, conv 32 → 64 → 10.

    ~47k parameters (~190 KB): small enough to ship inside the package, accurate enough
    (≥ 95 % on the held-out test split, checked in a test) that its 64-d penultimate layer
    separates the classes the way Inception's pool3 separates ImageNet's.
    """

    dims = 64
    has_logits = True

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),  # 8×8 → 4×4
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.shape[1:] != (1, 8, 8):
            raise GanlabError(
                f"the digits feature network takes (B, 1, 8, 8) images, got {tuple(x.shape)}",
                "use --features identity or inception for other data",
            )
        h = self.body(x.float())
        return {"features": h, "logits": self.head(h)}


def digits_weights_path() -> Path:
    return Path(str(resources.files("ganlab") / "assets" / DIGITS_WEIGHTS))


def _digits_weights(weights: str | Path | None = None, **_: Any) -> WeightsFile:
    path = Path(weights) if weights is not None else digits_weights_path()
    return WeightsFile(path, "run `python scripts/train_digits_classifier.py` to write them")


@FEATURES.register("digits")
@loads_weights(_digits_weights)
def digits(weights: str | Path | None = None) -> FeatureNet:
    """The shipped digits classifier (or one at ``weights``), loaded as tensors only."""
    declared = _digits_weights(weights)
    path, how = declared.path, declared.how
    if not path.is_file():
        raise GanlabError(f"digits classifier weights not found at {path}", how)
    net = DigitsClassifier()
    try:
        net.load_state_dict(load_state_dict_file(path, "digits classifier weights"))
    except RuntimeError as err:  # missing or unexpected keys, wrong shapes
        raise GanlabError(f"{path} does not hold the digits classifier ({str(err).splitlines()[0][:100]})", how) from None
    net.sha256 = sha256_file(path)
    return net.eval()
