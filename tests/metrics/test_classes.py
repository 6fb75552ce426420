"""Metrics of conditional generators: class accuracy, intra-class FID and class coverage, on
real digits given as "generated" samples (so the answer is known) and against independent
computations with the shipped classifier; balanced labels of a conditional generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.metrics import FEATURES, balanced_labels, evaluate, fid_from_features, generate_labelled


@pytest.fixture(scope="module")
def classifier():
    return FEATURES.get("digits")()


def classify(net, x: torch.Tensor) -> np.ndarray:
    return net.extract(x)["logits"].argmax(1).numpy()


def test_class_accuracy_of_real_digits_is_the_classifiers_accuracy(digits, classifier):
    x, y = digits.test, torch.as_tensor(digits.labels["test"])
    r = evaluate(None, digits, ["class_accuracy"], fake=x, fake_labels=y)["values"]
    pred = classify(classifier, x)
    assert r["class_accuracy"] == pytest.approx(np.mean(pred == y.numpy()))
    per_class = [np.mean(pred[y.numpy() == c] == c) for c in range(10)]
    assert r["class_accuracy_worst"] == pytest.approx(min(per_class))
    assert r["class_accuracy"] >= 0.95  # the shipped classifier on held-out digits
    wrong = evaluate(None, digits, ["class_accuracy"], fake=x, fake_labels=(y + 1) % 10)["values"]
    assert wrong["class_accuracy"] < 0.1  # asked for the next class: almost never right


def test_intra_fid_is_the_per_class_fid(digits, classifier):
    fake, y_fake = digits.val, torch.as_tensor(digits.labels["val"])
    r = evaluate(None, digits, ["intra_fid"], fake=fake, fake_labels=y_fake)
    f_fake, f_real = classifier.extract(fake)["features"].double().numpy(), classifier.extract(digits.test)["features"].double().numpy()
    y_real = digits.labels["test"]
    per = [fid_from_features(f_fake[y_fake.numpy() == c], f_real[y_real == c]) for c in range(10)]
    np.testing.assert_allclose(r["per_sample"]["intra_fid"], per, rtol=1e-10)
    assert r["values"]["intra_fid_mean"] == pytest.approx(np.mean(per)) and r["values"]["intra_fid_worst"] == pytest.approx(max(per))
    shuffled = evaluate(None, digits, ["intra_fid"], fake=fake, fake_labels=(y_fake + 3) % 10)["values"]
    assert shuffled["intra_fid_mean"] > 5 * r["values"]["intra_fid_mean"]  # wrong classes are far from their class


def test_class_coverage_conditional_and_unconditional(digits):
    x, y = digits.test, torch.as_tensor(digits.labels["test"])
    assert evaluate(None, digits, ["class_coverage"], fake=x, fake_labels=y)["values"]["class_coverage"] == 1.0
    half = x[y < 5]  # an unconditional generator that only draws 0–4
    assert evaluate(None, digits, ["class_coverage"], fake=half)["values"]["class_coverage"] == 0.5
    assert evaluate(None, digits, ["class_coverage"], fake=x)["values"]["class_coverage"] == 1.0


def test_conditional_metrics_refuse_an_unconditional_generator(digits):
    with pytest.raises(GanlabError, match="class-conditional generator"):
        evaluate(None, digits, ["class_accuracy"], fake=digits.test)
    with pytest.raises(GanlabError, match="intra_fid: class"):
        evaluate(None, digits, ["intra_fid"], fake=digits.test[:12], fake_labels=torch.arange(12) % 10)


class Cond(nn.Module):
    """A conditional 'generator' that draws the mean test digit of the requested class."""

    def __init__(self, digits) -> None:
        super().__init__()
        self.z_dim, self.n_classes = 3, 10
        y = torch.as_tensor(digits.labels["test"])
        self.register_buffer("means", torch.stack([digits.test[y == c].mean(0) for c in range(10)]))

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.means[y] + 0.05 * z[:, :1, None, None]


def test_generate_labelled_asks_for_balanced_classes(digits):
    G = Cond(digits)
    x, y = generate_labelled(G, 25, seed=0)
    assert torch.equal(y, balanced_labels(25, 10)) and np.bincount(y.numpy()).tolist() == [3] * 5 + [2] * 5
    torch.testing.assert_close(x, G.means[y] + 0.05 * torch.randn(25, 3, generator=torch.Generator().manual_seed(0))[:, :1, None, None])
    x3, y3 = generate_labelled(G, 4, seed=0, labels=torch.full((4,), 3))
    assert (y3 == 3).all() and torch.allclose(x3, G.means[3].expand(4, -1, -1, -1), atol=0.2)
    r = evaluate(G, digits, ["class_accuracy", "class_coverage"], n=200)["values"]
    assert r["class_accuracy"] == 1.0 and r["class_coverage"] == 1.0  # class means are classified as their class


def test_labels_for_an_unconditional_generator_are_refused():
    G = nn.Linear(3, 4)
    G.z_dim = 3
    with pytest.raises(GanlabError, match="unconditional generator"):
        generate_labelled(G, 4, seed=0, labels=torch.zeros(4, dtype=torch.long))
