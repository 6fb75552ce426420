"""The sphere experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

from tests.helpers import experiment_outputs, read_csv


def test_sphere_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("sphere")
    experiment_outputs(folder, ["ablation", "timing"])
    ablation = read_csv(folder / "ablation.csv")
    assert [r["R"] for r in ablation] == ["1", "3", "5", "—"]  # the Sphere cells, then WGAN-GP on the same nets and budget
    assert ablation[-1]["setup"] == "WGAN-GP n_D=5"
    result = experiment_outputs(folder, ["ablation", "timing"], ["curves"])
    assert {c["claim"].split(" <")[0].split(" (")[0] for c in result["claims"]} == {"training CPU s of Sphere GAN", "G steps of Sphere GAN"}
    timing = {r["setup"]: r for r in read_csv(folder / "timing.csv")}
    assert len(timing) == 4
    # the same D, no double backward and one D step: far cheaper than WGAN-GP with its n_D = 5
    same = float(timing["Sphere GAN (R=3), n_D=1, head S^1 (WGAN-GP's D)"]["ms"])
    assert same < float(timing["WGAN-GP, n_D=5 (paper)"]["ms"])
    assert "Sphere GAN (R=3), n_D=1, head S^128" in timing  # the paper's wide head, timed as its own row
