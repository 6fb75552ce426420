"""The search grid every objective gets on the 2-D benchmark, and the rule that picks a setting."""

from __future__ import annotations

import math
import random

import pytest

from ganlab.config import make_config
from ganlab.experiments import tuning
from ganlab.experiments.modes import overrides_for, settings_for
from ganlab.game import OBJECTIVES


def _grid(objective: str) -> list[tuple[str, tuple[str, ...]]]:
    return tuning.grid(objective, settings_for(objective)[0], make_config(overrides=overrides_for(objective, "ring8", 10, 0)))


def _config(objective: str, extra: tuple[str, ...]):  # noqa: ANN202
    return make_config(overrides=[*overrides_for(objective, "ring8", 10, 0), *extra])


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_every_objective_gets_five_valid_settings_declared_first(name: str) -> None:
    points = _grid(name)
    assert len(points) == 5 and points[0] == ("declared", ())
    assert len({label for label, _ in points}) == 5
    base = _config(name, ())
    for _, extra in points[1:]:
        assert _config(name, extra) != base  # each setting changes the config, and every one is valid


def test_learning_rates_scale_both_nets() -> None:
    for name in ("non_saturating", "mmd", "sphere"):
        base = _config(name, ())
        for (_, extra), f in zip(_grid(name)[1:3], tuning.LR_FACTORS):
            cfg = _config(name, extra)
            assert math.isclose(cfg.train.lr_d, base.train.lr_d * f) and math.isclose(cfg.train.lr_g, base.train.lr_g * f)


def test_strength_moves_the_right_knob_the_right_way() -> None:
    """×10 strength: R1 γ and GP λ ×10, a clip bound and GAN-QP's λ ÷10; ×0.1 the other way."""
    def penalty(cfg, key):  # noqa: ANN001, ANN202
        return cfg.game.penalties[0][key] if isinstance(cfg.game.penalties[0], dict) else getattr(cfg.game.penalties[0], key)

    strong, weak = _grid("non_saturating")[3][1], _grid("non_saturating")[4][1]
    assert strong == ("game.penalties=[{name: r1, gamma: 10.0}]",) and weak == ("game.penalties=[{name: r1, gamma: 0.1}]",)
    assert _grid("wasserstein")[3][1] == ("game.penalties=[{name: gp, lam: 1.0}]",)
    assert _grid("mmd")[3][1] == ("game.constraints=[{name: clip, c: 0.001}]",)
    assert _grid("mmd")[4][1] == ("game.constraints=[{name: clip, c: 0.1}]",)
    assert _grid("gls")[4][1] == ("game.constraints=[{name: clip, c: 0.8}]",)  # not 0.7999999999999999
    assert _grid("gan_qp")[3][1] == ("game.params={lam: 1.0, distance: l1}",)
    assert _grid("cramer")[4][1] == ("game.params={gp_weight: 1.0}",)
    # the other fields of a parameter mapping are kept
    gls_params = [o for o in settings_for("gls")[0] if o.startswith("game.params")]
    assert _config("gls", _grid("gls")[3][1]).game.params == _config("gls", tuple(gls_params)).game.params
    assert [label for label, _ in _grid("sphere")[3:]] == ["n_D ×2 (n_D=2)", "n_D ×5 (n_D=5)"]


def test_a_missing_knob_is_an_error_not_a_silent_no_op() -> None:
    with pytest.raises(ValueError, match="no game.penalties"):
        tuning._scaled(("train.n_critic=5",), "game.penalties", "gamma", 10)


def _choose_by_hand(scores, slack=0.5):  # noqa: ANN001, ANN202
    """The rule written out as a sort: coverage within the slack first, then % HQ, then the earlier index."""
    ok = [(i, m, h) for i, (m, h) in enumerate(scores) if not (math.isnan(m) or math.isnan(h))]
    if not ok:
        return 0
    most = max(m for _, m, _ in ok)
    ranked = sorted(ok, key=lambda t: (t[1] < most - slack, -t[2], t[0]))
    return ranked[0][0]


def test_choose_examples() -> None:
    assert tuning.choose([(8, 50), (8, 60), (7.9, 90)]) == 2  # within half a mode: the sharper one
    assert tuning.choose([(8, 50), (7, 99)]) == 0  # a mode fewer loses, however sharp
    assert tuning.choose([(8, 50), (8, 50)]) == 0  # ties: the declared settings
    assert tuning.choose([(float("nan"), float("nan")), (3, 1)]) == 1  # a diverged setting never wins
    assert tuning.choose([(float("nan"), float("nan"))]) == 0


def test_choose_matches_the_rule_written_as_a_sort() -> None:
    rng = random.Random(0)
    for _ in range(500):
        scores = [(rng.choice([float("nan"), *range(9), 7.5, 7.9]), rng.choice([float("nan"), 0.0, 10.0, 50.0, rng.random() * 100]))
                  for _ in range(rng.randint(1, 6))]  # fmt: skip
        assert tuning.choose(scores) == _choose_by_hand(scores), scores


def test_an_explicit_knob_overrides_the_objectives_own() -> None:
    """Other experiments name the knob of their setting: a WGAN-div weight k, or None for no penalty (D steps)."""
    declared = ("game.penalties=[{name: wgan_div, k: 2, p: 6}]", "train.n_critic=5")
    cfg = make_config(overrides=["data.name=ring8", "game.objective=wasserstein", *declared])
    points = tuning.grid("wasserstein", declared, cfg, ("game.penalties", "k", 1))
    assert [extra for _, extra in points[3:]] == [("game.penalties=[{name: wgan_div, k: 20.0, p: 6}]",),
                                                  ("game.penalties=[{name: wgan_div, k: 0.2, p: 6}]",)]  # fmt: skip
    free = tuning.grid("non_saturating", (), make_config(overrides=["data.name=ring8"]), None)
    assert [extra for _, extra in free[3:]] == [("train.n_critic=2",), ("train.n_critic=5",)]
    assert tuning.grid("sphere", (), make_config(overrides=["data.name=ring8", "game.objective=sphere"]))[3][0] == "n_D ×2 (n_D=2)"
    with pytest.raises(ValueError, match="no game.penalties"):  # the objective's own knob (R1 γ) is not in these overrides
        tuning.grid("non_saturating", declared, cfg)


def test_seeds_text() -> None:
    assert tuning.seeds_text(100, 1) == "seed 100" and tuning.seeds_text(100, 3) == "seeds 100–102"
