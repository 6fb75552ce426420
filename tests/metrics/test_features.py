"""Feature networks: the shipped digits classifier."""

import torch

from ganlab.metrics import FEATURES


def test_digits_classifier_test_accuracy(digits):
    net = FEATURES.get("digits")()
    with torch.no_grad():
        pred = net(digits.test)["logits"].argmax(1).numpy()
    acc = (pred == digits.labels["test"]).mean()
    assert acc >= 0.95, acc
    assert len(net.sha256) == 64 and net(digits.test[:2])["features"].shape == (2, 64)
