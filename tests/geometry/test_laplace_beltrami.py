"""The Laplace–Beltrami regulariser and the semi-supervised classifier trained with it."""

import numpy as np
import pytest
import torch

from ganlab.geometry.laplace_beltrami import (
    Classifier,
    lb_regulariser,
    orthonormal_tangents,
    select_labelled,
    tangent_derivatives,
    train_classifier,
)


def test_lb_regulariser_zero_for_f_constant_along_tangents():
    torch.manual_seed(1)
    T = orthonormal_tangents(torch.randn(1, 10, 3)).expand(5, 10, 3)  # the same tangent plane at every x
    W = torch.randn(4, 10)
    W = W - (W @ T[0]) @ T[0].T  # rows orthogonal to the tangents: f does not change along them
    x = torch.randn(5, 10)
    assert lb_regulariser(lambda v: torch.tanh(v @ W.T), x, T).item() == pytest.approx(0, abs=1e-10)
    V = torch.randn(4, 10)
    f = lambda v: v @ V.T  # noqa: E731
    torch.testing.assert_close(lb_regulariser(f, x, T), (V @ T[0]).pow(2).sum())  # ‖Tᵀ∇f‖²_F of a linear f
    assert tangent_derivatives(f, x, T).shape == (3, 5, 4)


def test_lb_regulariser_differentiable_and_classifier_trains():
    x = torch.randn(30, 1, 8, 8)
    y = torch.arange(30) % 3
    T = orthonormal_tangents(torch.randn(30, 64, 2))
    clf = Classifier(64, 3, width=16)
    lb_regulariser(clf, x, T).backward()
    assert clf.net[0].weight.grad.abs().sum() > 0
    from ganlab.geometry.laplace_beltrami import SSLConfig

    f = train_classifier(x, y, x, T, SSLConfig(steps=5, width=16, unlabelled_batch=8))
    assert f(x).shape == (30, 3)
    picks = select_labelled(np.repeat(np.arange(3), 5), 2, seed=0)
    assert len(picks) == 6 and set(np.bincount(picks // 5)) == {2}
