"""The generator_losses experiment: its quick mode's outputs have the promised shape, and the claims that must hold
robustly at that size do (the full-size numbers live in docs/results)."""

from __future__ import annotations

import numpy as np

from tests.helpers import experiment_outputs, read_csv


def test_generator_losses_match_closed_forms() -> None:
    from ganlab.experiments.generator_losses import loss_curves

    p = np.array([1e-4, 0.01, 0.3, 0.5, 0.9])
    c = loss_curves(p=p)
    # independent closed forms (seed 001 / Goodfellow 2016): L as a function of p = D(G(z)), d = logit p
    np.testing.assert_allclose(c["minimax"]["loss"], np.log1p(-p), rtol=1e-9)
    np.testing.assert_allclose(c["minimax"]["grad_logit"], -p, rtol=1e-9)
    np.testing.assert_allclose(c["non_saturating"]["loss"], -np.log(p), rtol=1e-9)
    np.testing.assert_allclose(c["non_saturating"]["grad_logit"], -(1 - p), rtol=1e-9)
    np.testing.assert_allclose(c["max_likelihood"]["loss"], -0.5 * p / (1 - p), rtol=1e-9)
    np.testing.assert_allclose(c["max_likelihood"]["grad_logit"], -0.5 * p / (1 - p), rtol=1e-9)
    np.testing.assert_allclose(c["minimax"]["grad_prob"], -1 / (1 - p), rtol=1e-9)


def test_generator_losses_quick(quick_run) -> None:  # noqa: ANN001
    folder = quick_run("generator_losses")
    result = experiment_outputs(folder, ["generator_losses"], ["generator_losses"])
    assert result["verdict"] == "agrees"
    rows = read_csv(folder / "generator_losses.csv")
    first = rows[0]
    # minimax saturates as D(G(z)) → 0, non-saturating keeps a unit gradient
    assert abs(float(first["minimax_grad"])) < 0.01 < 0.99 < abs(float(first["non_saturating_grad"]))
