"""Typed, strict configuration, checked once, when it is made.

Each section is a dataclass whose defaults carry their reason; what a field may hold (bounds,
names, whether a resumed run may change it) is metadata next to the field (``ganlab.typed``).
A YAML file holds only overrides, the command line adds dotted overrides (``train.lr_d=4e-4``).
``make_config`` checks everything a config alone can tell — types, bounds, names, the game's
objective parameters and penalties (built from their own dataclasses), the metrics and their
options, the rules between fields — so a run, a resume and ``--dry-run`` refuse the same
inputs before any work. ``check_data`` adds what needs the loaded data (sizes, mode centres).
Nothing is executed or imported by name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from ganlab.data import DATASETS
from ganlab.errors import GanlabError
from ganlab.game.factory import make_game
from ganlab.metrics import METRICS, check_options, value_direction, value_names
from ganlab.metrics.context import check_features_ready
from ganlab.nets import ARCHS, INIT_SCHEMES, NORMS, check_model
from ganlab.presets import set_keys, with_data_defaults
from ganlab.registry import did_you_mean
from ganlab.serial import YamlRefused, load_yaml_text
from ganlab.typed import build, field, resumable_keys, short, specs_of

OPTIMIZERS = ("adam", "rmsprop", "sgd")  # train.optimizer_*; train/optim.py maps them to torch classes
PRECISIONS = ("fp32", "bf16", "fp16")  # train.precision; the trainer maps them to autocast dtypes
ON_DIVERGENCE = ("stop", "rollback")
SEED_MAX = 2**32 - 1  # numpy's global seeding accepts [0, 2³²)
SIZE_MAX = 100_000  # latent sizes and widths beyond this are typos that would exhaust memory before failing
_DEVICE = re.compile(r"^(cpu|auto|mps|cuda(:\d{1,3})?)$")


@dataclasses.dataclass
class DataConfig:
    name: str = field("digits", choices=DATASETS.names)  # digits (8×8, ships with scikit-learn), ring8, grid25, npz, cifar10, …
    path: str | None = None  # local file for data sets read from disk; None for built-in data
    n_points: int = field(100_000, low=2, high=100_000_000)  # size of a 2-D mixture training set (PacGAN uses 100,000)
    seed: int = field(0, low=0, high=SEED_MAX)  # fixes the mixture sample and the digits train / validation / test split
    resolution: int | None = field(None, low=4, high=8192)  # image side after resizing; None: the data's own (CIFAR 32, STL 48, folder 64)
    limit: int | None = field(None, low=1)  # read only the first N images of each source file or folder (quick runs, smoke tests)
    val_size: int | None = field(None, low=0)  # training images held out for validation; None: 10 % ≤ 5,000; 0: train on all (the papers)


@dataclasses.dataclass
class ModelConfig:
    arch: str = field("auto", choices=ARCHS)  # "mlp" for 2-D points, "dcgan" or "resnet" (SN-GAN) for images; "auto" picks by data kind
    z_dim: int = field(32, low=1, high=SIZE_MAX)  # latent size; 8×8 digits need little (PacGAN uses 2 for 2-D data)
    width: int = field(64, low=1, high=SIZE_MAX)  # MLP hidden units, or DCGAN / ResNet base channels
    g_width: int | None = field(None, low=1, high=SIZE_MAX)  # G's width when it differs from D's (SN-GAN ResNet CIFAR-10: G 256, D 128)
    depth: int = field(3, low=0, high=1000)  # MLP hidden layers (PacGAN: 4 for G, 3 for D)
    g_norm: str = field("batch", choices=NORMS)  # normalisation in G: batch | layer | none  (DCGAN, Radford et al. 2016)
    d_norm: str = field("none", choices=NORMS)  # normalisation in D: none | layer | batch (none suits gradient penalties)
    spectral_norm: bool = False  # spectral normalisation of D's layers (Miyato et al. 2018)
    init: str = field("normal", choices=INIT_SCHEMES)  # normal (N(0, 0.02), DCGAN) | xavier | orthogonal | default
    d_out: int | None = field(None, low=1, high=SIZE_MAX)  # D's output size; None: 1, or 16 (points) / 128 (images) for Rⁿ heads
    conditional: bool = False  # class-conditional G(z, y) and D(x, y) on a labelled data set (nets/conditional.py)
    g_cond: str = field("cbn", choices=("cbn", "concat"))  # conditional BatchNorm (Miyato & Koyama 2018) | z ⊕ embed(y) (Mirza 2014)
    d_cond: str = field("projection", choices=("projection", "concat", "acgan"))  # projection D | x ⊕ embed(y) | AC-GAN head
    embed_dim: int = field(16, low=1, high=SIZE_MAX)  # class embedding size of the concat mechanisms


@dataclasses.dataclass
class GameConfig:
    objective: str = "non_saturating"  # the standard practical choice (Goodfellow et al. 2014, §3)
    params: dict = dataclasses.field(default_factory=dict)  # the objective's hyper-parameters
    penalties: list = dataclasses.field(default_factory=list)  # e.g. [{name: r1, gamma: 1}] or [r1]
    constraints: list = dataclasses.field(default_factory=list)  # e.g. [{name: clip, c: 0.01}]


@dataclasses.dataclass
class TrainConfig:
    steps: int = field(8000, low=1, resumable=True)  # generator updates: the digits default (FID 6.8 vs 10.1 at 3,000)
    batch_size: int = field(64, low=1)  # the papers' common choice (DCGAN, WGAN-GP, SN-GAN, Sphere GAN)
    n_critic: int = field(1, low=1, high=1000)  # D steps per G step (WGAN: 5)
    simultaneous: bool = False  # True: D and G step on the same batch from the same parameters
    optimizer_d: str = field("adam", choices=OPTIMIZERS)  # adam | rmsprop | sgd
    optimizer_g: str = field("adam", choices=OPTIMIZERS)
    optimizer_impl: str = field("auto", choices=("auto", "foreach", "fused", "loop"))  # auto: foreach on CPU (exact), fused on CUDA
    lr_d: float = field(2e-4, low=0, high=10, low_open=True)  # DCGAN, Radford et al. 2016
    lr_g: float = field(2e-4, low=0, high=10, low_open=True)  # equal rates; set lr_d > lr_g for TTUR (Heusel et al. 2017)
    betas_d: tuple[float, float] = field((0.5, 0.999), low=0, high=1, high_open=True)  # DCGAN: β1 = 0.5 damps oscillation
    betas_g: tuple[float, float] = field((0.5, 0.999), low=0, high=1, high_open=True)
    ema: float | None = field(0.999, low=0, high=1, high_open=True)  # decay of G's weight average; samples come from it (seed 004)
    seed: int = field(0, low=0, high=SEED_MAX - 1)  # the noise stream is seeded with seed + 1 (run i of a group: seed + i)
    runs: int = field(1, low=1, high=4096)  # independent runs trained as one batched model, seeds seed … seed + runs − 1
    fake_labels: str = field("matched", choices=("matched", "uniform"))  # conditional: fakes get the real batch's labels | uniform
    device: str = field("cpu", resumable=True)  # cpu | cuda | cuda:N | auto
    threads: int | None = field(1, low=1, high=1024, resumable=True)  # intra-op threads; None: torch's default (benchmarks/threads.py)
    precision: str = field("fp32", choices=PRECISIONS, resumable=True)  # fp32 | bf16 | fp16 (autocast; fp16: a gradient scaler per net)
    channels_last: bool = field(False, resumable=True)  # NHWC memory layout for convolutions (faster on tensor cores)
    compile: bool = field(False, resumable=True)  # torch.compile the networks' forward passes (not the double backward of penalties)
    log_every: int = field(50, low=1, resumable=True)  # steps between loss records in log.jsonl
    sample_every: int = field(1000, low=0, resumable=True)  # steps between sample grids (0: only at the end)
    checkpoint_every: int = field(500, low=0, resumable=True)  # steps between checkpoints (0: only at the end)
    progress: bool = field(True, resumable=True)  # tqdm progress bar on stderr
    keep_checkpoints: int = field(3, low=1, resumable=True)  # newest step_*.pt kept in a run folder (best.pt never is deleted)
    # evaluation draws from its own seeded streams and restores the training ones, so these may change on resume
    eval_every: int = field(0, low=0, resumable=True)  # steps between evaluations on the validation split during training (0: none)
    eval_n: int = field(2000, low=2, high=10_000_000, resumable=True)  # generated samples per evaluation during training
    best_metric: str | None = field(None, choices=value_names, resumable=True)  # keep checkpoints/best.pt by this value (fid, modes, …)
    # they act only after a divergence, which an exact resume would reach again anyway
    on_divergence: str = field("stop", choices=ON_DIVERGENCE, resumable=True)  # stop | rollback: reload the last good checkpoint
    rollback_lr_factor: float = field(0.5, low=0, high=1, low_open=True, high_open=True, resumable=True)  # both lrs × this per rollback
    max_rollbacks: int = field(3, low=0, resumable=True)  # after this many rollbacks a divergence stops the run


@dataclasses.dataclass
class EvalConfig:
    """The end-of-run evaluation (metrics.json) and the evaluations during training."""

    metrics: list[str] | None = field(None, resumable=True)  # None: the data set's defaults (`ganlab list datasets`)
    features: str | None = field(None, resumable=True)  # feature network; None: the data set's default
    options: dict = field(default_factory=dict, resumable=True)  # per-metric options, e.g. {kid: {subsets: 50}}
    n: int = field(10_000, low=2, high=10_000_000, resumable=True)  # generated samples of the end-of-run evaluation (TTUR: ≥ 10,000)
    floor: bool = field(True, resumable=True)  # also score held-out training images the same way: the data's own floor


@dataclasses.dataclass
class Config:
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    game: GameConfig = dataclasses.field(default_factory=GameConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)


RESUMABLE_CHANGES = frozenset(resumable_keys(Config))  # keys a resumed run may change (field metadata)


def specs() -> dict:
    """Dotted key → ``typed.Spec`` of every config field (bounds, choices, resumable)."""
    return specs_of(Config)


def to_dict(cfg: Any) -> dict:
    """A plain nested dict of a config (tuples become lists, as YAML writes them)."""

    def plain(v: Any) -> Any:
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(dataclasses.asdict(cfg))


def _merge(base: dict, over: Mapping, where: str) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and key not in ("params", "options"):
            out[key] = _merge(out[key], value, f"{where}.{key}" if where else key)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"train.lr_d=4e-4"`` → (["train", "lr_d"], 0.0004); values are read as YAML scalars."""
    if "=" not in text:
        raise GanlabError(f'cannot read override "{short(text, 60)[1:-1]}"', "write overrides as section.key=value, e.g. train.steps=500")
    key, raw = text.split("=", 1)
    path = [p for p in key.strip().split(".") if p]
    if not path:
        raise GanlabError(f'override "{short(text, 60)[1:-1]}" has no key', "write overrides as section.key=value")
    try:
        value = load_yaml_text(raw) if raw.strip() else ""
    except YamlRefused as err:
        raise GanlabError(f"override {short(key.strip(), 60)}: {err.problem}", "write the value out in full, each key once") from None
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
        data = load_yaml_text(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise GanlabError(f"cannot read config file {p}: {err.strerror or err}", "check the path and its permissions") from None
    except UnicodeDecodeError:
        raise GanlabError(f"config file {p} is not UTF-8 text", "pass a YAML file") from None
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        at = f" at line {line + 1}" if line is not None else ""
        if isinstance(err, YamlRefused):
            raise GanlabError(f"config file {p}{at}: {err.problem}", "write every value out in full, each key once") from None
        raise GanlabError(f"config file {p} is not valid YAML{at}", "fix the syntax (indentation, colons, quotes)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GanlabError(f"config file {p} must hold a mapping of sections (data, model, game, train, eval)")
    return data


def make_config(path: str | Path | None = None, overrides: Sequence[str] = (), base: Mapping | None = None) -> Config:
    """Defaults (the data set's, ``presets.DATA_DEFAULTS``, then the fields') ← ``base`` (e.g. a saved run)
    ← YAML file ← dotted overrides, checked strictly."""
    merged = to_dict(Config())
    explicit: set[str] = set()
    if base:
        merged = _merge(merged, base, "")
        explicit |= set_keys(base)
    if path is not None:
        loaded = load_yaml(path)
        merged = _merge(merged, loaded, "")
        explicit |= set_keys(loaded) if isinstance(loaded, Mapping) else set()
    for text in overrides:
        keys, value = parse_override(text)
        explicit |= set_keys({keys[0]: value}) if len(keys) == 1 and isinstance(value, Mapping) else {".".join(keys[:2])}
        node = merged
        for i, key in enumerate(keys[:-1]):
            if key not in node:
                where = ".".join(["config", *keys[:i]])
                raise GanlabError(
                    f'unknown key "{short(".".join(keys[: i + 1]), 60)[1:-1]}"{did_you_mean(key, list(node))}',
                    f"valid keys of {where}: {', '.join(node)}",
                )
            if not isinstance(node[key], dict):
                raise GanlabError(f'"{".".join(keys[: i + 1])}" is a value, not a section', f"write {'.'.join(keys[: i + 1])}=VALUE")
            node = node[key]
        if len(keys) == 1 and isinstance(merged.get(keys[0]), dict) and not isinstance(value, Mapping):
            raise GanlabError(f'"{keys[0]}" is a section, not a value', f"set one of its keys, e.g. {keys[0]}.KEY=VALUE")
        node[keys[-1]] = value
    return validate(build(Config, with_data_defaults(merged, explicit), "config"))


def validate(cfg: Config) -> Config:
    """The rules between fields and the names looked up in registries, on a typed config.

    Every problem is a one-line GanlabError naming the key and the fix. ``make_config`` calls
    it, so a run, a resume and ``--dry-run`` all refuse the same inputs before any work.
    """
    t, m = cfg.train, cfg.model
    if not _DEVICE.match(t.device):
        raise GanlabError(f'unknown train.device "{short(t.device, 40)[1:-1]}"', "use cpu, cuda, cuda:N or auto")
    device = t.device
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise GanlabError(f"train.device={device} but no CUDA GPU is available", "use train.device=cpu or auto")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise GanlabError(f"train.device={device} but this machine has {torch.cuda.device_count()} GPU(s)", "use cuda:0 … or auto")
    if device == "mps" and not torch.backends.mps.is_available():
        raise GanlabError("train.device=mps but no Apple GPU is available", "use train.device=cpu or auto")
    if t.simultaneous and t.n_critic != 1:
        raise GanlabError("train.simultaneous=true needs train.n_critic=1", "set train.n_critic=1 or train.simultaneous=false")
    if t.simultaneous and t.precision != "fp32":
        raise GanlabError("train.simultaneous=true runs with train.precision=fp32", "drop one of the settings")
    if t.seed + t.runs - 1 > SEED_MAX - 1:
        raise GanlabError(f"train.seed={t.seed} with train.runs={t.runs} seeds runs beyond {SEED_MAX - 1}", "lower train.seed")
    if t.runs > 1:
        refused = {"train.on_divergence=rollback": t.on_divergence == "rollback",  # a group freezes a diverged run instead
                   "train.precision=fp16": t.precision == "fp16",  # one loss scaler would couple the runs' steps
                   "train.compile=true": t.compile, "train.channels_last=true": t.channels_last,
                   "model.spectral_norm=true": m.spectral_norm}  # fmt: skip
        for setting, on in refused.items():
            if on:
                raise GanlabError(f"train.runs={t.runs} (a group of runs) does not support {setting}", "train those runs one at a time")
    if t.best_metric is not None and not t.eval_every:
        raise GanlabError(f"train.best_metric={t.best_metric} needs evaluations during training", "set train.eval_every (e.g. 1000)")
    game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
    check_model(m, type(game.objective).output)
    _check_heads(m, {p.name for p in game.penalties})
    for name in cfg.eval.metrics or ():
        METRICS.get(name)
    for name, opts in cfg.eval.options.items():
        check_options(str(name), opts, f"eval.options.{name}")
    if cfg.eval.features is not None:
        from ganlab.metrics import FEATURES

        FEATURES.get(cfg.eval.features)
    return cfg


def _check_heads(m: ModelConfig, penalties: set[str]) -> None:
    """D's auxiliary heads and the penalties that train them come together."""
    acgan_d = m.conditional and m.d_cond == "acgan"
    if acgan_d and "acgan" not in penalties:
        raise GanlabError("model.d_cond=acgan trains its classifier head only through the acgan term",
                          "add game.penalties=[{name: acgan, weight: 1}]")  # fmt: skip
    if "acgan" in penalties and not acgan_d:
        raise GanlabError("the acgan penalty needs the AC-GAN discriminator's classifier head",
                          "set model.conditional=true model.d_cond=acgan")  # fmt: skip
    if "infogan" in penalties and m.conditional:
        raise GanlabError("infogan codes and class conditioning cannot be combined in one run",
                          "drop the infogan penalty, or set model.conditional=false")  # fmt: skip


def check_data(cfg: Config, dataset: Any) -> None:
    """What a run needs of its loaded data beyond a valid config: enough samples for a batch,
    and what the chosen metrics need (mode centres, the weights file of their feature network,
    e.g. Inception's). ``--dry-run`` calls it too."""
    t = cfg.train
    if t.batch_size > len(dataset.train):
        raise GanlabError(
            f"train.batch_size={t.batch_size} exceeds the {len(dataset.train)} training samples of {dataset.name}",
            f"lower train.batch_size to at most {len(dataset.train)}, or use more data",
        )
    check_labelled(cfg, dataset)
    _splits_needed(cfg, dataset)
    during = [value_direction(t.best_metric)[0]] if t.best_metric else []  # the evaluations during training
    check_features_ready(dict.fromkeys([*(cfg.eval.metrics if cfg.eval.metrics is not None else dataset.metrics), *during]),
                         cfg.eval.features or dataset.features, fix="set eval.metrics=[] or eval.features to another network")  # fmt: skip
    for name in cfg.eval.metrics if cfg.eval.metrics is not None else dataset.metrics:
        need = METRICS.get(name).unusable(dataset)
        if need:
            raise GanlabError(f"metric {name} needs {need}, not {dataset.name}", "remove it from eval.metrics")
        if METRICS.get(name).conditional and not cfg.model.conditional:
            raise GanlabError(f"metric {name} judges a class-conditional generator, and this run is unconditional",
                              "set model.conditional=true, or remove it from eval.metrics")  # fmt: skip
    if t.best_metric is not None:
        need = METRICS.get(value_direction(t.best_metric)[0]).unusable(dataset)
        if need:
            usable = [v for v in value_names() if not METRICS.get(value_direction(v)[0]).unusable(dataset)]
            raise GanlabError(f"train.best_metric={t.best_metric} needs {need}, not {dataset.name}",
                              f"choose one of: {', '.join(usable)}")  # fmt: skip


def _splits_needed(cfg: Config, dataset: Any) -> None:
    """The splits the run will evaluate on hold samples: test at the end (when there are
    metrics), val during training (train.eval_every)."""
    metrics = list(cfg.eval.metrics if cfg.eval.metrics is not None else dataset.metrics)
    need = {"test": "the end-of-run metrics"} if metrics else {}
    if cfg.train.eval_every and metrics:
        need["val"] = "the evaluations during training (train.eval_every)"
    for split, why in need.items():
        if len(getattr(dataset, split)) == 0:
            raise GanlabError(f"the {split} split of {dataset.name} is empty, and {why} need it",
                              "use more data, or set eval.metrics=[] and train.eval_every=0")  # fmt: skip


def check_labelled(cfg: Config, dataset: Any) -> None:
    """A conditional run needs class labels on its training split, every class present."""
    if not cfg.model.conditional:
        return
    if dataset.n_classes is None:
        hint = dataset.info.get("labels_hint") or "train on a labelled data set (digits, stacked_digits, cifar10, npz with an array y)"
        raise GanlabError(f"model.conditional=true needs class labels, and {dataset.name} has none",
                          f"{hint}, or set model.conditional=false")  # fmt: skip
    k, seen = dataset.n_classes, set(np.unique(dataset.labels["train"]).tolist())
    missing = [c for c in range(k) if c not in seen]
    if missing:
        raise GanlabError(f"classes {missing[:5]} of 0 … {k - 1} have no training samples in {dataset.name}",
                          "relabel the classes as 0 … K−1 with every class present in the training split")  # fmt: skip


def diff(a: Mapping, b: Mapping, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two plain config dicts."""
    keys = sorted(set(a) | set(b))
    out: list[str] = []
    for k in keys:
        name = f"{prefix}{k}"
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict) and k not in ("params", "options"):
            out += diff(va, vb, name + ".")
        elif va != vb:
            out.append(name)
    return out
