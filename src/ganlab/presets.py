"""Defaults that depend on the data set: what a run on a 2-D mixture starts from.

The fields' own defaults (``config``) serve the image data sets; on the 2-D mixtures they train
far below the published numbers, so ``make_config`` lays ``DATA_DEFAULTS`` of the chosen data
set over them for every key that nobody set.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: Defaults of a run on a 2-D mixture where they differ from the image-led defaults of the fields:
#: the settings of configs/ring8.yaml and configs/grid25.yaml, chosen on the validation split by
#: scripts/mixtures_2d.py (docs/mixtures_2d.md: 8/8 modes at 97.9 % HQ, 25/25 at 95.2 %). A key set
#: anywhere (a preset, an override, a saved run) wins.
_MIXTURE = {"model.z_dim": 2, "model.width": 64, "model.depth": 3, "model.g_norm": "none", "model.init": "default",
            "train.batch_size": 256, "train.lr_d": 1.0e-3, "train.lr_g": 1.0e-3, "train.ema": 0.999, "train.sample_every": 5000,
            "train.checkpoint_every": 5000}  # fmt: skip
DATA_DEFAULTS: dict[str, dict[str, Any]] = {
    "ring8": {**_MIXTURE, "train.steps": 30000},
    "grid25": {**_MIXTURE, "train.steps": 40000},
}
#: R1 γ = 1 (Mescheder et al. 2018) joins the mixtures' defaults only for the objective they were
#: chosen with; other objectives bring their own regularisers (game.penalties)
MIXTURE_PENALTIES = {"non_saturating": [{"name": "r1", "gamma": 1}]}


def set_keys(mapping: Mapping) -> set[str]:
    """The ``section.key`` names a (nested or dotted) config mapping sets."""
    out = set()
    for key, value in mapping.items():
        if isinstance(value, Mapping) and "." not in str(key):
            out.update(f"{key}.{k}" for k in value)
        else:
            out.add(".".join(str(key).split(".")[:2]))
    return out


def with_data_defaults(merged: dict, explicit: set[str]) -> dict:
    """``merged`` with the defaults of its data set (``DATA_DEFAULTS``) for the keys nobody set."""
    name = merged.get("data", {}).get("name") if isinstance(merged.get("data"), dict) else None
    defaults = dict(DATA_DEFAULTS.get(name, {})) if isinstance(name, str) else {}
    if isinstance(merged.get("model"), dict) and merged["model"].get("conditional") is True:
        defaults = {}  # the mixtures have no labels: the run is refused for that, not for a default's clash
    objective = merged["game"].get("objective") if isinstance(merged.get("game"), dict) else None
    if defaults and isinstance(objective, str) and objective in MIXTURE_PENALTIES:  # a bad value is refused later, in one line
        defaults["game.penalties"] = MIXTURE_PENALTIES[objective]
    for dotted, value in defaults.items():
        section, key = dotted.split(".")
        if dotted not in explicit and isinstance(merged.get(section), dict):  # a broken section is refused later
            merged[section] = {**merged[section], key: copy.deepcopy(value)}
    return merged
