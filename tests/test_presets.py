"""Every preset in configs/ loads strictly and builds its Game, and every zoo objective has one; every preset
in configs/images/ also builds its full-size nets and plays one round on a tiny fake CIFAR-10 / STL-10 with
the nets shrunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.config import make_config
from ganlab.data import load_dataset
from ganlab.game.batch import Batch
from ganlab.game.factory import make_game
from ganlab.nets import build_nets
from tests.helpers import write_fake_cifar

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
PRESETS = sorted(CONFIGS.glob("*.yaml"))
ZOO = ["f_gan", "rsgan", "rasgan", "ralsgan", "rahinge", "loss_sensitive", "gls", "sphere", "gan_qp", "ebgan", "mmd", "cramer"]
IMAGE_PRESETS = sorted((CONFIGS / "images").glob("*.yaml"))
SHAPES = {"cifar10": (3, 32, 32), "stl10": (3, 48, 48)}


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_preset_loads_and_builds_its_game(path):
    cfg = make_config(path)
    game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
    assert game.objective.name == cfg.game.objective
    text = path.read_text()
    assert text.lstrip().startswith("#"), "a preset starts with a comment citing its source"


@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_objective_has_a_preset_named_after_it(name):
    path = CONFIGS / f"{name}.yaml"
    assert path.is_file()
    assert make_config(path).game.objective == name


# ---------------------------------------------------------------- configs/images
@pytest.fixture(scope="module")
def fake_data(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    cifar = write_fake_cifar(root / "cifar-10-batches-py", rng)
    stl = root / "stl10_binary"
    stl.mkdir()
    rng.integers(0, 256, (40, 3, 96, 96), dtype=np.uint8).tofile(stl / "unlabeled_X.bin")
    return {"cifar10": cifar, "stl10": stl}


def test_there_are_presets():
    names = {p.stem for p in IMAGE_PRESETS}
    assert {"sngan_resnet_cifar10", "wgan_gp_resnet_cifar10", "sphere_resnet_cifar10", "ralsgan_resnet_cifar10"} <= names
    assert {"wgan_div_resnet_cifar10", "loss_sensitive_resnet_cifar10", "gls_resnet_cifar10"} <= names


@pytest.mark.parametrize("path", IMAGE_PRESETS, ids=[p.stem for p in IMAGE_PRESETS])
def test_preset_builds_full_size_nets(path):
    text = path.read_text()
    assert text.lstrip().startswith("#") and "Published" in text, "a preset cites its source and its published number's protocol"
    cfg = make_config(path)
    assert cfg.train.precision == "fp32" and cfg.train.channels_last is False  # speed switches stay at their defaults
    game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
    k = 10 if cfg.model.conditional else None  # CIFAR-10's classes
    G, D = build_nets(cfg.model, SHAPES[cfg.data.name], "image", type(game.objective).output, k)
    y = (torch.tensor([3, 7]),) if k else ()
    with torch.no_grad():
        x = G(torch.randn(2, cfg.model.z_dim), *y)
        d = D(x, *y)
    assert x.shape == (2, *SHAPES[cfg.data.name])
    assert d.shape == (2, cfg.model.d_out or 1)


@pytest.mark.parametrize("path", IMAGE_PRESETS, ids=[p.stem for p in IMAGE_PRESETS])
def test_preset_plays_one_round_on_fake_data(path, fake_data):
    cfg0 = make_config(path)
    small = [f"data.path={fake_data[cfg0.data.name]}", "model.width=8", "model.g_width=8", "model.z_dim=16"]
    cfg = make_config(path, small)
    ds = load_dataset(cfg.data)
    assert ds.shape == SHAPES[cfg.data.name] and len(ds.val) > 0
    game = make_game(cfg.game.objective, cfg.game.params, cfg.game.penalties, cfg.game.constraints)
    G, D = build_nets(cfg.model, ds.shape, ds.kind, type(game.objective).output, ds.n_classes if cfg.model.conditional else None)
    z = torch.randn(8, cfg.model.z_dim)
    if cfg.model.conditional:  # fakes of the real batch's classes, as train.fake_labels=matched
        y = torch.as_tensor(ds.labels["train"][:8], dtype=torch.long)
        labels, G_of_z = {"y_real": y, "y_fake": y}, (lambda z_: G(z_, y))
    else:
        labels, G_of_z = {}, G
    batch = Batch(D=D, x_real=ds.train[:8], x_fake=G_of_z(z).detach(), **labels)
    d_terms = game.losses(batch, "D")
    sum(d_terms.values()).backward()
    g_batch = Batch(D=D, x_real=ds.train[:8], x_fake=G_of_z(z), G=G_of_z, z=z, **labels)
    g_terms = game.losses(g_batch, "G")
    sum(g_terms.values()).backward()
    for terms in (d_terms, g_terms):
        assert all(torch.isfinite(v).all() for v in terms.values())
    assert all(p.grad is not None for p in G.parameters())


def test_ring8_preset_covers_the_ring_on_a_reduced_budget(tmp_path):
    """configs/ring8.yaml at 2,500 of its 20,000 steps (≈ 15 CPU s): every run reaches ≥ 7 modes and ≥ 50 % HQ
    samples from the EMA generator; the full budget's numbers are in docs/mixtures_2d.md."""
    from ganlab.api import load_run, train
    from ganlab.metrics import evaluate

    cfg = make_config(CONFIGS / "ring8.yaml", ["train.steps=2500", "train.progress=false", "train.sample_every=0",
                                                        "train.checkpoint_every=0", "eval.metrics=[]"])  # fmt: skip
    run = load_run(train(cfg, tmp_path / "ring8", quiet=True))
    values = evaluate(run.G_eval, run.dataset, metrics=["mode_coverage"], n=5000, seed=1)["values"]
    assert values["modes"] >= 7 and values["hq"] >= 0.5, values


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_a_run_on_a_mixture_starts_from_its_tuned_preset(name):
    """The library's defaults on a 2-D mixture are the preset chosen on the validation split."""
    from ganlab.config import to_dict

    assert to_dict(make_config(CONFIGS / f"{name}.yaml")) == to_dict(make_config(overrides=[f"data.name={name}"]))


def test_data_defaults_yield_to_every_key_set_and_stay_off_other_data(tmp_path):
    from ganlab.config import to_dict

    cfg = make_config(overrides=["data.name=ring8", "train.lr_d=2.0e-4", "model.g_norm=batch"])
    assert (cfg.train.lr_d, cfg.train.lr_g, cfg.model.g_norm, cfg.model.width) == (2e-4, 1e-3, "batch", 64)
    assert [p["name"] for p in cfg.game.penalties] == ["r1"]
    assert make_config(overrides=["data.name=ring8", "game.objective=hinge"]).game.penalties == []  # R1 joins its own objective only
    assert make_config(overrides=["data.name=grid25", "game.penalties=[]"]).game.penalties == []
    assert make_config(overrides=["data.name=grid25", "train={steps: 7}"]).train.steps == 7  # a section set as a mapping
    nested = tmp_path / "mine.yaml"
    nested.write_text("data: {name: ring8}\ntrain: {batch_size: 32}\n")
    assert (make_config(nested).train.batch_size, make_config(nested).train.steps) == (32, 30000)
    digits = make_config()
    assert (digits.train.lr_d, digits.model.z_dim, digits.train.steps, digits.game.penalties) == (2e-4, 32, 8000, [])
    saved = to_dict(make_config(overrides=["data.name=digits"]))  # a saved run's config sets every key:
    saved["data"]["name"] = "ring8"  # resuming it never changes what it trained with
    assert to_dict(make_config(base=saved))["train"] == saved["train"]


@pytest.mark.parametrize("bad", ["game.objective=[]", "game.objective={a: 1}", "data.name=[ring8]", "game=[]", "model.conditional=[1]"])
def test_data_defaults_leave_bad_values_to_the_one_line_checks(bad):
    """The mixtures' defaults read data.name and game.objective before the checks do: a value of
    the wrong type there must still end as the checks' one-line error (found by the CLI fuzzer)."""
    from ganlab.errors import GanlabError

    with pytest.raises(GanlabError):
        make_config(overrides=["data.name=ring8", bad])
