"""Precision / recall and density / coverage against brute force; precision and recall not swapped."""

import numpy as np
import pytest

from ganlab.metrics.precision_recall import density_coverage_from_features, precision_recall_from_features


def test_precision_recall_not_swapped():
    # regression test (torch-fidelity 0.4.0-beta swapped them): generated points on half of the
    # real support only → precision (fidelity of generated) high, recall (real covered) low
    rng = np.random.default_rng(0)
    real = rng.uniform(0, 1, (2000, 2))
    fake = rng.uniform(0, 1, (2000, 2)) * [0.5, 1.0]
    out = precision_recall_from_features(fake, real)
    assert out["precision"] > 0.95
    assert out["recall"] < 0.6
    swapped = precision_recall_from_features(real, fake)
    assert swapped["precision"] == pytest.approx(out["recall"]) and swapped["recall"] == pytest.approx(out["precision"])


def test_precision_recall_against_bruteforce():
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((300, 3)), rng.standard_normal((250, 3)) + 0.5
    d_rr = np.linalg.norm(real[:, None] - real[None], axis=-1)
    d_ff = np.linalg.norm(fake[:, None] - fake[None], axis=-1)
    d_fr = np.linalg.norm(fake[:, None] - real[None], axis=-1)
    r_real, r_fake = np.sort(d_rr, 1)[:, 3], np.sort(d_ff, 1)[:, 3]  # k = 3, self at column 0
    precision = (d_fr <= r_real[None]).any(1).mean()
    recall = (d_fr.T <= r_fake[None]).any(1).mean()
    out = precision_recall_from_features(fake, real)
    assert out == {"precision": pytest.approx(precision), "recall": pytest.approx(recall)}
    r5 = np.sort(d_rr, 1)[:, 5]
    density = (d_fr < r5[None]).sum() / (5 * len(fake))
    coverage = (d_fr.min(0) < r5).mean()
    dc = density_coverage_from_features(fake, real)
    assert dc == {"density": pytest.approx(density), "coverage": pytest.approx(coverage)}
