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


def test_label_spreading_counts_unreached_test_points_as_errors() -> None:
    """Three far-apart blobs, labelled 0, labelled 1 and unlabelled: the third blob's k-NN graph
    component gets no label mass, so its test points have no prediction (scikit-learn's ``predict``
    would silently call them class 0)."""
    import warnings

    from sklearn.semi_supervised import LabelSpreading

    from ganlab.geometry.laplace_beltrami import label_spreading_accuracy

    rng = np.random.default_rng(0)
    a, c, b = rng.normal(0, 0.1, (10, 2)), rng.normal((0, 50), 0.1, (10, 2)), rng.normal(100, 0.1, (20, 2))
    x = np.concatenate([a, c, b])
    y = np.array([0] * 10 + [1] * 10 + [0] * 20)  # the unlabelled blob's true class is 0, the class sklearn guesses
    labelled = np.arange(20)
    x_test, y_test = np.concatenate([a + 0.001, b[:10] + 0.001]), np.zeros(20, dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 RuntimeWarning leaks out
        acc = label_spreading_accuracy(x, y, labelled, x_test, y_test, n_neighbors=3)
    assert acc == 0.5  # the 10 near the 0-labelled blob right, the 10 unreached ones errors
    y_in = np.where(np.arange(40) < 20, y, -1)
    with np.errstate(invalid="ignore"):
        assert (LabelSpreading(kernel="knn", n_neighbors=3).fit(x, y_in).predict(x_test) == y_test).mean() == 1.0


def test_label_spreading_matches_sklearn_where_the_graph_is_connected() -> None:
    from sklearn.semi_supervised import LabelSpreading

    from ganlab.geometry.laplace_beltrami import label_spreading_accuracy

    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = np.repeat(np.arange(3), 30)
    x = centres[y] + rng.normal(0, 0.8, (90, 2))
    labelled = np.concatenate([np.flatnonzero(y == c)[:2] for c in range(3)])
    x_test, y_test = centres[y[::3]] + rng.normal(0, 0.8, (30, 2)), y[::3]
    y_in = np.full(90, -1)
    y_in[labelled] = y[labelled]
    ref = LabelSpreading(kernel="knn", n_neighbors=10, alpha=0.2, max_iter=100).fit(x, y_in)
    expected = float((ref.predict(x_test) == y_test).mean())
    assert label_spreading_accuracy(x, y, labelled, x_test, y_test, n_neighbors=10) == expected
