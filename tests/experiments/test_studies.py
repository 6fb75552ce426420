"""Quick-mode smoke runs of the three geometry studies and the CLI wiring."""

import argparse

import pytest

from ganlab.commands.geometry import add_parser
from ganlab.errors import GanlabError
from ganlab.experiments.studies import localized_study, ssl_study, tangent_study
from ganlab.experiments.tables import group_stats


def test_tangent_study_quick(tmp_path):
    rows = tangent_study(True, 1, tmp_path, datasets=("ring8",))
    assert [r["penalty"] for r in rows] == ["none", "orthonormal_tangent"]
    assert all(1 <= r["erank"] <= r["rank_max"] == 2 for r in rows)
    assert (tmp_path / "tangents.md").is_file() and (tmp_path / "tangents.csv").is_file()
    assert (tmp_path / "spectrum_ring8.png").is_file()


def test_localized_and_ssl_quick(tmp_path):
    row = localized_study(True, tmp_path, progress=False)[0]
    assert row["max abs(G(x,0) − x)"] < 1e-5
    assert (tmp_path / "localized_edits.png").is_file() and (tmp_path / "localized.md").is_file()
    rows = ssl_study(True, 1, tmp_path, localized=tmp_path / "localized.pt", progress=False)
    assert len({r["method"] for r in rows}) == 4 and all(0 <= r["test_acc"] <= 1 for r in rows)
    summary = (tmp_path / "ssl.md").read_text()
    assert "| supervised only | 1 | 0." in summary  # one row per method: its seed count and mean accuracy (± std from 2 seeds on)


def test_group_stats_and_cli_errors(tmp_path):
    rows = [{"m": "a", "v": 1.0}, {"m": "a", "v": 3.0}, {"m": "b", "v": 2.0}]
    a, b = group_stats(rows, ["m"], ["v"], digits=1)
    assert (a["m"], a["n"], a["v"].mean, str(a["v"])) == ("a", 2, 2.0, "2.0 ± 1.4 [1.0, 3.0]")  # std (ddof 1) √2; bootstrap
    assert (b["m"], b["n"], b["v"].std, str(b["v"])) == ("b", 1, 0.0, "2.0")
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["geometry", "ssl", "--quick", "--seeds", "0", "--out", str(tmp_path)])
    with pytest.raises(GanlabError):
        args.func(args)
    with pytest.raises(SystemExit):
        parser.parse_args(["geometry", "volume"])


def test_tuned_ssl_uses_the_validation_best_and_never_the_test_split(tmp_path, monkeypatch):
    """Each method's chosen setting is the best mean validation accuracy of its grid, and the
    validation stage never reads the test split."""
    from ganlab.experiments import studies

    calls = []

    def fake(method, values, seed, ds, T, cfg, per_class, split):  # noqa: ANN001
        calls.append((method, tuple(values), seed, split))
        return 0.5 + 0.01 * values[0] if split == "val" else 0.9  # the validation favours the largest first knob

    monkeypatch.setattr(studies, "_ssl_accuracy", fake)
    localized_study(True, tmp_path, progress=False)
    rows = ssl_study(True, 2, tmp_path, localized=tmp_path / "localized.pt", progress=False, tune=True)
    assert {split for *_, seed, split in calls if seed >= 100} == {"val"} and {s for *_, seed, s in calls if seed < 100} == {"test"}
    for method, ((_, first), _) in studies.SSL_GRIDS.items():  # quick: the first two values of the first knob, the larger wins
        want = (first[1], studies.SSL_DEFAULTS[method][1])
        assert {r["setting"] for r in rows if r["method"] == method} == {studies._setting_text(method, want)}
    text = (tmp_path / "ssl_validation.md").read_text()
    assert sum("✓" in line for line in text.splitlines() if line.startswith("| ")) == len(studies.SSL_GRIDS)
    assert not list(tmp_path.glob(".ssl_localized*"))  # the given Localized GAN had the quick grid's k: none trained, none left


def test_the_full_ssl_grid_gives_every_method_the_same_budget_and_lb_a_chart_per_k():
    """Every method gets 5 × 3 settings; LB's second knob is the Localized GAN's number of tangents,
    and LB and its random control share the λ and k values."""
    from ganlab.experiments import studies

    sizes = {m: len(a) * len(b) for m, ((_, a), (_, b)) in studies.SSL_GRIDS.items()}
    assert set(sizes.values()) == {15}
    lb, rnd = studies.SSL_GRIDS[studies.LB], studies.SSL_GRIDS["random directions (control)"]
    assert lb == rnd and lb[1][0] == "k" and min(lb[0][1]) <= 1e-4  # the grid reaches the λ that leaves the classifier alone
    with pytest.raises(GanlabError, match="z_dim 4"):
        studies._ssl_accuracy(studies.LB, (0.1, 4.0), 0, studies._digits(), None, None, 10, "val")


def test_geometry_tune_is_refused_for_localized(tmp_path):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["geometry", "localized", "--quick", "--tune", "--out", str(tmp_path)])
    with pytest.raises(GanlabError, match="--tune"):
        args.func(args)


def test_tuned_tangent_weight_is_the_validation_best(tmp_path):
    """weight="tune": the weight with the best mean effective rank on the validation seeds is the one the reported seeds use."""
    from ganlab.experiments.studies import TANGENT_WEIGHTS
    from tests.helpers import read_csv

    rows = tangent_study(True, 1, tmp_path, datasets=("ring8",), weight="tune")
    val = read_csv(tmp_path / "tangents_validation.csv")
    assert [float(r["weight"]) for r in val] == list(TANGENT_WEIGHTS)
    best = max(val, key=lambda r: (float(r["erank"]), -float(r["weight"])))
    assert [r["chosen"] for r in val].count("✓") == 1 and best["chosen"] == "✓"
    assert {r["weight"] for r in rows if r["penalty"] == "orthonormal_tangent"} == {float(best["weight"])}
    assert {r["seed"] for r in rows} == {0}  # the validation seeds (100, …) are never reported


def _without_cpu(value):  # noqa: ANN001, ANN202
    """A cell's JSON text without its CPU seconds, which differ between processes."""
    import json

    def strip(v):  # noqa: ANN001, ANN202
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "cpu_s"}
        return [strip(x) for x in v] if isinstance(v, list) else v

    return json.dumps(strip(value))


def test_study_cells_trained_in_workers_equal_those_trained_here(tmp_path):
    """Seeds fix everything: the tangent and SSL cells give the same numbers in spawned workers as here."""
    from ganlab.experiments.parallel import map_cells
    from ganlab.experiments.studies import _weights_digest, ssl_cell, tangent_cell
    from ganlab.geometry.localized import load_localized

    jobs = [("ring8", "none", 0.0, 1, 0, True), ("ring8", "orthonormal_tangent", 0.1, 2, 100, True)]
    pooled, here = map_cells(tangent_cell, jobs, workers=2), map_cells(tangent_cell, jobs)
    assert [_without_cpu(c) for c in pooled] == [_without_cpu(c) for c in here]
    assert [len(c["rows"]) for c in here] == [1, 2] and [r["seed"] for r in here[1]["rows"]] == [100, 101]
    assert len(here[0]["spectrum"]) == 64 and len(here[0]["spectrum"][0]) == 2  # quick: 64 Jacobians, rank ≤ 2 on ring8

    localized_study(True, tmp_path)
    path = str((tmp_path / "localized.pt").resolve())
    chart = (path, _weights_digest(load_localized(path).G))
    jobs = [("supervised only", (5e-4, 1e-3), 0, None, 20, 10, "val"),
            ("Laplace–Beltrami (LGAN tangents)", (0.1, 8.0), 0, chart, 20, 10, "val"),
            ("random directions (control)", (0.1, 4.0), 0, None, 20, 10, "val")]  # fmt: skip
    pooled, here = map_cells(ssl_cell, jobs, workers=2), map_cells(ssl_cell, jobs)
    assert [c["acc"] for c in pooled] == [c["acc"] for c in here] and all(0 < c["acc"] <= 1 for c in here)
    with pytest.raises(GanlabError, match="changed"):
        ssl_cell("Laplace–Beltrami (LGAN tangents)", (0.1, 8.0), 0, (path, "0" * 40), 20, 10, "val")


def test_a_tangent_study_resumes_from_its_kept_cells(tmp_path):
    """Through a mapper that keeps cells, the same study again computes nothing and returns the same rows."""
    import functools

    from ganlab.experiments.parallel import map_cells

    counts: dict[str, int] = {}
    mapper = functools.partial(map_cells, folder=tmp_path, counts=counts)
    first = tangent_study(True, 1, tmp_path, datasets=("ring8",), weight="tune", mapper=mapper)
    assert counts == {"computed": 5}  # three validation weights, unpenalised, penalised
    again = tangent_study(True, 1, tmp_path, datasets=("ring8",), weight="tune", mapper=mapper)
    assert counts == {"computed": 5, "reused": 5} and _without_cpu(again) == _without_cpu(first)


def test_untuned_ssl_takes_k_from_the_given_localized_gan(tmp_path, monkeypatch):
    """Without a search, a given Localized GAN's z_dim sets k for LB and its random control; no other chart is trained."""
    from ganlab.experiments import studies
    from ganlab.geometry.localized import LocalizedConfig, train_localized

    seen = []
    monkeypatch.setattr(studies, "_ssl_accuracy", lambda method, values, *a: seen.append((method, tuple(values))) or 0.5)
    model = train_localized(studies._digits().train, LocalizedConfig(steps=5, z_dim=4), progress=False)
    model.save(tmp_path / "k4.pt")
    studies.ssl_study(True, 1, tmp_path, localized=tmp_path / "k4.pt", progress=False)
    assert dict(seen)[studies.LB] == (1.0, 4.0) == dict(seen)["random directions (control)"]
    assert not list(tmp_path.glob(".ssl_localized*"))


def test_the_penalised_tangent_run_differs_from_the_unpenalised_one_only_by_the_penalty():
    """A regression: the mixtures' default R1 γ = 1 joins a run only when nobody sets game.penalties, so
    setting the tangent penalty alone silently dropped R1 — the comparison then changed two things."""
    from ganlab.experiments.studies import tangent_overrides
    from ganlab.experiments.training import make

    for data, base in (("ring8", [{"name": "r1", "gamma": 1}]), ("digits", [])):
        none = make(tangent_overrides(data, "none", 0.0, 100, 0))
        pen = make(tangent_overrides(data, "orthonormal_tangent", 0.1, 100, 0))
        assert none.game.penalties == base
        assert pen.game.penalties == [*base, {"name": "orthonormal_tangent", "weight": 0.1}]
        assert {k: v for k, v in vars(pen).items() if k != "game"} == {k: v for k, v in vars(none).items() if k != "game"}


def test_lone_run_seeds_get_a_cell_each_and_merge_to_the_one_cell_result(tmp_path):
    """Digits runs train lone (no group), so each seed is its own kept cell: the merged rows, the first
    seed's spectrum and the CPU sum equal one cell of all seeds; a grouped data set keeps one cell."""
    from ganlab.experiments import studies
    from ganlab.experiments.training import grouped, make

    jobs = studies._seed_jobs("digits", "none", 0.0, 3, True, None)
    assert not grouped(make(studies.tangent_overrides("digits", "none", 0.0, 30, 0)), 3)
    assert jobs == [("digits", "none", 0.0, 1, i, True, None) for i in range(3)]
    cells = [studies.tangent_cell(*job) for job in reversed(jobs)]  # any order of completion
    merged = studies._merge_cells(list(reversed(jobs)), cells)[("digits", "none")]
    whole = studies.tangent_cell("digits", "none", 0.0, 3, 0, True)
    assert _without_cpu(merged) == _without_cpu(whole) and [r["seed"] for r in merged["rows"]] == [0, 1, 2]
    assert merged["cpu_s"] == pytest.approx(sum(c["cpu_s"] for c in cells))
    assert studies._seed_jobs("ring8", "none", 0.0, 4, True, None) == [("ring8", "none", 0.0, 4, 0, True, None)]  # one group
