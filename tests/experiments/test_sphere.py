"""The sphere experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from tests.helpers import assert_tuned_rows_follow_validation, experiment_outputs, read_csv


def test_sphere_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("sphere")
    experiment_outputs(folder, ["ablation", "timing", "validation", "tuned"])
    ablation = read_csv(folder / "ablation.csv")
    assert [r["R"] for r in ablation] == ["1", "3", "5", "—"]  # the Sphere cells, then WGAN-GP on the same nets and budget
    assert ablation[-1]["setup"] == "WGAN-GP n_D=5"
    result = experiment_outputs(folder, ["ablation", "timing"], ["curves", "curves_tuned", "budget"])
    # the budget stage ran (both compared setups' long validation runs), and quick mode keeps its fixed 200 steps
    assert set(result["budget"]) == {"Sphere S^16 R=3", "WGAN-GP n_D=5"} and result["steps"] == 200
    assert all(r["horizon"] == 400 for r in result["budget"].values())
    reach = {c["claim"].split(" <")[0].split(" (")[0] for c in result["claims"] if " < " in c["claim"]}
    assert reach == {f"{rows}: {what} of Sphere GAN" for rows in ("papers' settings", "tuned")
                     for what in ("training CPU s", "G steps")}  # fmt: skip
    timing = {r["setup"]: r for r in read_csv(folder / "timing.csv")}
    assert len(timing) == 4
    # the same D, no double backward and one D step: far cheaper than WGAN-GP with its n_D = 5
    same = float(timing["Sphere GAN (R=3), n_D=1, head S^1 (WGAN-GP's D)"]["ms"])
    assert same < float(timing["WGAN-GP, n_D=5 (paper)"]["ms"])
    assert "Sphere GAN (R=3), n_D=1, head S^128" in timing  # the paper's wide head, timed as its own row


def test_sphere_quick_tuned_rows_follow_the_validation_runs(quick_run) -> None:  # noqa: ANN001
    """Both compared setups get the five-point search; each tuned row is the modes rule's pick from the
    validation table (a "declared" pick repeats the ablation row); Sphere GAN, without a regulariser,
    gets D-step points, WGAN-GP its λ."""
    folder = quick_run("sphere")
    result = experiment_outputs(folder, [], [])
    val = read_csv(folder / "validation.csv")
    tuned = {r["setup"]: r for r in read_csv(folder / "tuned.csv")}
    ablation = {r["setup"]: r for r in read_csv(folder / "ablation.csv")}
    assert set(tuned) == {r["setup"] for r in val} == {"Sphere S^16 R=3", "WGAN-GP n_D=5"}
    assert_tuned_rows_follow_validation(val, tuned, ablation, result["chosen"])
    for setup, row in tuned.items():
        if row["setting"] != "declared":
            assert any(c["claim"].startswith(f"% HQ of {setup}, tuned") for c in result["claims"])
    assert [r["setting"] for r in val if r["setup"].startswith("Sphere")][3:] == ["n_D ×2 (n_D=2)", "n_D ×5 (n_D=5)"]
    assert [r["setting"] for r in val if r["setup"].startswith("WGAN")][3:] == ["strength ×10 (λ=1)", "strength ×0.1 (λ=0.01)"]


def test_hq_target_is_near_the_lower_plateau() -> None:
    from ganlab.experiments.tables import hq_target

    assert hq_target([64.6, 91.8]) == 58.0  # floor(0.9 × 64.6)
    assert hq_target([91.8, float("nan")]) == 82.0  # a setup without a plateau does not set it
    assert hq_target([0.4, 3.0]) == 1.0 and hq_target([]) == 1.0  # never a level an untrained G meets at step 0


def test_reaches_read_off_histories() -> None:
    from ganlab.experiments.tables import reaches

    hist = [[{"step": 0, "cpu": 0.0, "modes": 3, "hq": 5.0}, {"step": 250, "cpu": 1.5, "modes": 8, "hq": 40.0},
             {"step": 500, "cpu": 3.0, "modes": 8, "hq": 61.0}],
            [{"step": 0, "cpu": 0.0, "modes": 1, "hq": 2.0}, {"step": 250, "cpu": 1.4, "modes": 7, "hq": 70.0}]]  # fmt: skip
    r = reaches(hist, 58.0)
    assert r["reach"] == [250.0, r["reach"][1]] and r["reach"][1] != r["reach"][1]  # NaN: the second never covers 8 modes
    assert r["reach_hq"] == [500.0, 250.0] and r["reach_hq_cpu"] == [3.0, 1.4]
