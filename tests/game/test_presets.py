"""Every YAML preset in configs/ loads strictly and builds its Game; every zoo objective has one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.config import make_config
from ganlab.game.factory import make_game

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
PRESETS = sorted(CONFIGS.glob("*.yaml"))
ZOO = ["f_gan", "rsgan", "rasgan", "ralsgan", "rahinge", "loss_sensitive", "gls", "sphere", "gan_qp", "ebgan", "mmd", "cramer"]


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
