"""The modes experiment (mode coverage of every objective): its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from ganlab.game import OBJECTIVES
from tests.helpers import experiment_outputs, read_csv


def test_every_objective_has_valid_mode_settings() -> None:
    """Each objective's declared benchmark settings (or the documented default) make a valid config."""
    from ganlab.config import make_config
    from ganlab.experiments.modes import DEFAULT_SETTINGS, overrides_for, settings_for

    for name in OBJECTIVES.names():
        declared = OBJECTIVES.get(name).benchmark
        assert settings_for(name) == (declared or DEFAULT_SETTINGS)
        cfg = make_config(overrides=overrides_for(name, "ring8", 10, 0))
        assert cfg.game.objective == name


def test_modes_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("modes")
    experiment_outputs(folder, ["modes", "published"], ["samples_ring8"])
    rows = read_csv(folder / "modes.csv")
    assert {r["objective"] for r in rows} == set(OBJECTIVES.names())
    by = {r["objective"]: r for r in rows}
    # the preset configs/ring8.yaml (non-saturating + R1) covers the ring within the quick budget
    assert float(by["non_saturating"]["modes_mean"]) >= 7
    for r in rows:
        if r["modes_mean"] not in ("", "nan"):
            assert 0 <= float(r["modes_mean"]) <= 8
            assert 0 <= float(r["hq_mean"]) <= 100
