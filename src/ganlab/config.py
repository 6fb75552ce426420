"""Typed, strict configuration.

Each section is a dataclass whose defaults carry their reason. A YAML file holds only
overrides, the command line adds dotted overrides (``train.lr_d=4e-4``), and everything is
checked: an unknown key or a wrong type is a one-line ``GanlabError`` naming the key and the
closest valid one. Nothing is executed or imported by name.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ganlab.errors import GanlabError
from ganlab.registry import did_you_mean


@dataclasses.dataclass
class DataConfig:
    name: str = "digits"  # registry name: digits (8×8, ships with scikit-learn), ring8, grid25, npz, cifar10, cifar100, stl10, folder
    path: str | None = None  # local file for data sets read from disk; None for built-in data
    n_points: int = 100_000  # size of a 2-D mixture training set (PacGAN uses 100,000)
    seed: int = 0  # fixes the mixture sample and the digits train / validation / test split
    resolution: int | None = None  # image side after resizing; None: the data set's own (CIFAR 32, STL-10 48 as in SN-GAN, folder 64)
    limit: int | None = None  # read only the first N images of each source file or folder (quick runs, smoke tests)
    val_size: int | None = None  # training images held out for validation; None: 10 % up to 5,000; 0: train on all (the papers)


@dataclasses.dataclass
class ModelConfig:
    arch: str = "auto"  # "mlp" for 2-D points, "dcgan" or "resnet" (SN-GAN) for images; "auto" picks by data kind
    z_dim: int = 32  # latent size; 8×8 digits need little (PacGAN uses 2 for 2-D data)
    width: int = 64  # MLP hidden units, or DCGAN / ResNet base channels
    g_width: int | None = None  # G's width when it differs from D's (SN-GAN ResNet CIFAR-10: G 256, D 128); None: width
    depth: int = 3  # MLP hidden layers (PacGAN: 4 for G, 3 for D)
    g_norm: str = "batch"  # normalisation in G: batch | none  (DCGAN, Radford et al. 2016)
    d_norm: str = "none"  # normalisation in D: none | layer | batch (none suits gradient penalties)
    spectral_norm: bool = False  # spectral normalisation of D's layers (Miyato et al. 2018)
    init: str = "normal"  # normal (N(0, 0.02), DCGAN) | xavier | orthogonal | default
    d_out: int | None = None  # D's output size; None: 1 for scalar objectives, 16 (points) or 128 (images) for Rⁿ heads


@dataclasses.dataclass
class GameConfig:
    objective: str = "non_saturating"  # the standard practical choice (Goodfellow et al. 2014, §3)
    params: dict = dataclasses.field(default_factory=dict)  # the objective's hyper-parameters
    penalties: list = dataclasses.field(default_factory=list)  # e.g. [{name: r1, gamma: 1}] or [r1]
    constraints: list = dataclasses.field(default_factory=list)  # e.g. [{name: clip, c: 0.01}]


@dataclasses.dataclass
class TrainConfig:
    steps: int = 8000  # generator updates: the digits default, ~75 s on 2 cores (FID 6.8 vs 10.1 at 3,000)
    batch_size: int = 64  # the papers' common choice (DCGAN, WGAN-GP, SN-GAN, Sphere GAN)
    n_critic: int = 1  # D steps per G step (WGAN: 5)
    simultaneous: bool = False  # True: D and G step on the same batch from the same parameters
    optimizer_d: str = "adam"  # adam | rmsprop | sgd
    optimizer_g: str = "adam"
    lr_d: float = 2e-4  # DCGAN, Radford et al. 2016
    lr_g: float = 2e-4  # equal rates; set lr_d > lr_g for TTUR (Heusel et al. 2017)
    betas_d: tuple[float, float] = (0.5, 0.999)  # DCGAN: β1 = 0.5 damps oscillation
    betas_g: tuple[float, float] = (0.5, 0.999)
    ema: float | None = 0.999  # decay of G's weight average; samples come from it (seed 004)
    seed: int = 0
    device: str = "cpu"  # cpu | cuda | auto
    precision: str = "fp32"  # fp32 | bf16 | fp16 (autocast; fp16 adds one gradient scaler per network)
    channels_last: bool = False  # NHWC memory layout for convolutions (faster on tensor cores)
    compile: bool = False  # torch.compile the networks' forward passes (not the double backward of penalties)
    log_every: int = 50  # steps between loss records in log.jsonl
    sample_every: int = 1000  # steps between sample grids (0: only at the end)
    checkpoint_every: int = 500  # steps between checkpoints (0: only at the end)
    progress: bool = True  # tqdm progress bar on stderr
    keep_checkpoints: int = 3  # newest step_*.pt kept in a run folder; older ones are deleted (best.pt never is)
    eval_every: int = 0  # steps between evaluations during training (0: none); a multiple of checkpoint_every
    eval_n: int = 2000  # generated samples per evaluation during training (the end-of-run one uses its own)
    best_metric: str | None = None  # keep checkpoints/best.pt by this value (fid, kid_mean, modes, …); needs eval_every
    on_divergence: str = "stop"  # stop | rollback: reload the last good checkpoint with lower learning rates
    rollback_lr_factor: float = 0.5  # both learning rates are multiplied by this at each rollback
    max_rollbacks: int = 3  # after this many rollbacks a divergence stops the run


@dataclasses.dataclass
class Config:
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    game: GameConfig = dataclasses.field(default_factory=GameConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)


# keys that may differ when a run is resumed: they change how long or how loudly it runs,
# not what it computes
RESUMABLE_CHANGES = {
    "train.steps",
    "train.log_every",
    "train.sample_every",
    "train.checkpoint_every",
    "train.progress",
    "train.device",
    "train.precision",
    "train.channels_last",
    "train.compile",
    "train.keep_checkpoints",
    # evaluation draws from its own seeded streams and restores the training ones
    "train.eval_every",
    "train.eval_n",
    "train.best_metric",
    # they act only after a divergence, which an exact resume would reach again anyway
    "train.on_divergence",
    "train.rollback_lr_factor",
    "train.max_rollbacks",
}


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it converted (int → float, list → tuple)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except GanlabError as err:
                errors.append(err)
        raise errors[0] if errors else GanlabError(f"{where} must not be null")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise GanlabError(f"{where} must be a mapping of keys, got {value!r}", f"write it as {where}.KEY=VALUE")
        return build(tp, value, where)
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise GanlabError(f"{where} must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise GanlabError(f"{where} must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise GanlabError(f"{where} must be a finite number, got {value!r}")
            return float(value)
        raise GanlabError(f"{where} must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise GanlabError(f"{where} must be a string, got {value!r}")
    if origin is tuple:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise GanlabError(f"{where} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise GanlabError(f"{where} must have {len(args)} entries, got {value!r}")
        return tuple(_coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if tp is list or origin is list:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise GanlabError(f"{where} must be a list, got {value!r}")
        return list(value)
    if tp is dict or origin is dict:
        if not isinstance(value, Mapping):
            raise GanlabError(f"{where} must be a mapping, got {value!r}")
        return dict(value)
    raise TypeError(f"config type {_type_name(tp)} at {where} is not supported")


def build(cls: type, values: Mapping[str, Any] | None, where: str) -> Any:
    """Instantiate dataclass ``cls`` from ``values`` strictly: unknown keys and wrong types are
    one-line errors naming ``where.key``; a ValueError from the class becomes one too."""
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            raise GanlabError(
                f'unknown key "{where}.{key}"{did_you_mean(str(key), list(fields))}',
                f"valid keys of {where}: {', '.join(fields) or '(none)'}",
            )
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as err:
        raise GanlabError(f"invalid {where}: {err}") from None


def to_dict(cfg: Any) -> dict:
    """A plain nested dict of a config (tuples become lists, as YAML writes them)."""

    def plain(v: Any) -> Any:
        if isinstance(v, tuple):
            return [plain(x) for x in v]
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(dataclasses.asdict(cfg))


def _merge(base: dict, over: Mapping, where: str) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and key != "params":
            out[key] = _merge(out[key], value, f"{where}.{key}" if where else key)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"train.lr_d=4e-4"`` → (["train", "lr_d"], 0.0004); values are read as YAML scalars."""
    if "=" not in text:
        raise GanlabError(f'cannot read override "{text}"', "write overrides as section.key=value, e.g. train.steps=500")
    key, raw = text.split("=", 1)
    path = [p for p in key.strip().split(".") if p]
    if not path:
        raise GanlabError(f'override "{text}" has no key', "write overrides as section.key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    # YAML 1.1 reads "4e-4" as a string; numbers written that way are numbers to a user
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else value
        except ValueError:
            pass
    return path, value


def load_yaml(path: str | Path) -> dict:
    """Read a YAML file of overrides; any problem is a one-line error."""
    p = Path(path)
    if not p.is_file():
        raise GanlabError(f"config file {p} does not exist", "check the path, or run without a config file for the defaults")
    try:
        data = yaml.safe_load(p.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        at = f" at line {line + 1}" if line is not None else ""
        raise GanlabError(f"config file {p} is not valid YAML{at}", "fix the syntax (indentation, colons, quotes)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GanlabError(f"config file {p} must hold a mapping of sections (data, model, game, train)")
    return data


def make_config(path: str | Path | None = None, overrides: Sequence[str] = (), base: Mapping | None = None) -> Config:
    """Defaults ← ``base`` (e.g. a saved run) ← YAML file ← dotted overrides, checked strictly."""
    merged = to_dict(Config())
    if base:
        merged = _merge(merged, base, "")
    if path is not None:
        merged = _merge(merged, load_yaml(path), "")
    for text in overrides:
        keys, value = parse_override(text)
        node = merged
        for i, key in enumerate(keys[:-1]):
            if key not in node:
                where = ".".join(["config", *keys[:i]])
                raise GanlabError(
                    f'unknown key "{".".join(keys[: i + 1])}"{did_you_mean(key, list(node))}', f"valid keys of {where}: {', '.join(node)}"
                )
            if not isinstance(node[key], dict):
                raise GanlabError(f'"{".".join(keys[: i + 1])}" is a value, not a section', f"write {'.'.join(keys[: i + 1])}=VALUE")
            node = node[key]
        if len(keys) == 1 and isinstance(merged.get(keys[0]), dict) and not isinstance(value, Mapping):
            raise GanlabError(f'"{keys[0]}" is a section, not a value', f"set one of its keys, e.g. {keys[0]}.KEY=VALUE")
        node[keys[-1]] = value
    return validate(build(Config, merged, "config"))


PRECISIONS = ("fp32", "bf16", "fp16")  # train.precision; the trainer maps them to autocast dtypes
ON_DIVERGENCE = ("stop", "rollback")
SEED_MAX = 2**32 - 1  # numpy's global seeding accepts [0, 2³²)
SIZE_MAX = 100_000  # latent sizes and widths beyond this are typos that would exhaust memory before failing

# dotted key → (low, high, low_open, high_open): the values a field may take (None: unbounded);
# a field left at None ("not applicable") is not checked. Names (objectives, architectures,
# optimisers, devices) are checked where they are looked up, which --dry-run also reaches.
RANGES: dict[str, tuple[float | None, float | None, bool, bool]] = {
    "data.n_points": (2, 100_000_000, False, False),
    "data.seed": (0, SEED_MAX, False, False),
    "data.resolution": (1, 8192, False, False),
    "data.limit": (1, None, False, False),
    "data.val_size": (0, None, False, False),
    "model.z_dim": (1, SIZE_MAX, False, False),
    "model.width": (1, SIZE_MAX, False, False),
    "model.g_width": (1, SIZE_MAX, False, False),
    "model.depth": (0, 1000, False, False),
    "model.d_out": (1, SIZE_MAX, False, False),
    "train.steps": (1, None, False, False),
    "train.batch_size": (1, None, False, False),
    "train.n_critic": (1, 1000, False, False),
    "train.lr_d": (0, 10, True, False),
    "train.lr_g": (0, 10, True, False),
    "train.betas_d[0]": (0, 1, False, True),
    "train.betas_d[1]": (0, 1, False, True),
    "train.betas_g[0]": (0, 1, False, True),
    "train.betas_g[1]": (0, 1, False, True),
    "train.ema": (0, 1, False, True),
    "train.seed": (0, SEED_MAX - 1, False, False),  # the noise stream is seeded with seed + 1
    "train.log_every": (1, None, False, False),
    "train.sample_every": (0, None, False, False),
    "train.checkpoint_every": (0, None, False, False),
    "train.keep_checkpoints": (1, None, False, False),
    "train.eval_every": (0, None, False, False),
    "train.eval_n": (2, 10_000_000, False, False),
    "train.rollback_lr_factor": (0, 1, True, True),
    "train.max_rollbacks": (0, None, False, False),
}


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if high is None:
        return "positive" if low == 0 and low_open else f"at least {low}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def _lookup(cfg: Config, key: str) -> Any:
    section, name = key.split(".")
    index = None
    if name.endswith("]"):
        name, index = name[:-1].split("[")
    value = getattr(getattr(cfg, section), name)
    return value if index is None or value is None else value[int(index)]


def validate(cfg: Config) -> Config:
    """Check the values of a typed config: ranges, choices and the rules between fields.

    Every problem is a one-line GanlabError naming the key and the fix. ``make_config`` calls
    it, so a run, a resume and ``--dry-run`` all refuse the same inputs before any work.
    """
    for key, (low, high, low_open, high_open) in RANGES.items():
        value = _lookup(cfg, key)
        if value is None:
            continue
        above = value > low if low_open else value >= low
        below = high is None or (value < high if high_open else value <= high)
        if not (above and below):
            span = _interval(low, high, low_open, high_open)
            raise GanlabError(f"{key} must be {span}, got {value!r}", f"set {key} to a value {span}")
    t = cfg.train
    if t.precision not in PRECISIONS:
        raise GanlabError(f'unknown train.precision "{t.precision}"{did_you_mean(t.precision, list(PRECISIONS))}',
                          f"choose one of: {', '.join(PRECISIONS)}")  # fmt: skip
    if t.on_divergence not in ON_DIVERGENCE:
        raise GanlabError(f'unknown train.on_divergence "{t.on_divergence}"{did_you_mean(t.on_divergence, list(ON_DIVERGENCE))}',
                          f"choose one of: {', '.join(ON_DIVERGENCE)}")  # fmt: skip
    if t.simultaneous and t.n_critic != 1:
        raise GanlabError("train.simultaneous=true needs train.n_critic=1", "set train.n_critic=1 or train.simultaneous=false")
    if t.eval_every:
        # an evaluation is saved with the checkpoint of its step, so that a resumed run
        # neither repeats nor loses it and best.pt is a complete checkpoint
        if not t.checkpoint_every or t.eval_every % t.checkpoint_every:
            raise GanlabError(
                f"train.eval_every={t.eval_every} is not a multiple of train.checkpoint_every={t.checkpoint_every}",
                "evaluations happen at checkpoints: set train.eval_every to a multiple of train.checkpoint_every (≥ 1)",
            )
    if t.best_metric is not None and not t.eval_every:
        raise GanlabError(f"train.best_metric={t.best_metric} needs evaluations during training",
                          "set train.eval_every to a multiple of train.checkpoint_every")  # fmt: skip
    return cfg


def diff(a: Mapping, b: Mapping, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two plain config dicts."""
    keys = sorted(set(a) | set(b))
    out: list[str] = []
    for k in keys:
        name = f"{prefix}{k}"
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict) and k != "params":
            out += diff(va, vb, name + ".")
        elif va != vb:
            out.append(name)
    return out


def save_yaml(cfg: Config, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
