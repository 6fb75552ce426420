"""stacked_modes (Stacked MNIST protocol on stacked digits) and the stacked_digits feature network."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import entropy
from torch import nn

from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.data.stacked import stack_triples
from ganlab.errors import GanlabError
from ganlab.metrics import FEATURES, METRICS, evaluate, value_direction
from ganlab.metrics.stacked import kl_to_uniform, modes_of, stacked_modes_from_classes


class Replay(nn.Module):
    """A "generator" that hands out fixed images in order, cycling (it ignores z)."""

    def __init__(self, images: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("images", images)
        self.z_dim, self.at = 1, 0

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        idx = (self.at + torch.arange(len(z))) % len(self.images)
        self.at += len(z)
        return self.images[idx]


@pytest.fixture(scope="module")
def stacked():
    return load_dataset(DataConfig(name="stacked_digits", n_points=1000))


@pytest.fixture(scope="module")
def real_test_stacks(digits):
    """26,000 fresh stacks of the 360 test digits: real data, the generator a perfect G would be."""
    x, _ = stack_triples(digits.test[:, 0].numpy(), digits.labels["test"], 26_000, np.random.default_rng(7))
    return torch.from_numpy(x)


def test_kl_matches_scipy_and_its_closed_form_ends():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 50, size=1000) * (rng.random(1000) < 0.7)  # with empty bins
    p = counts / counts.sum()
    assert kl_to_uniform(counts) == pytest.approx(entropy(p, np.full(1000, 1e-3)), rel=1e-12)  # Σ p log(p/q)
    assert kl_to_uniform(np.ones(1000)) == pytest.approx(0.0, abs=1e-12)
    one = np.zeros(1000)
    one[417] = 5
    assert kl_to_uniform(one) == pytest.approx(math.log(1000), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 999), min_size=1, max_size=400), st.permutations(list(range(10))))
def test_histogram_properties(modes, relabel):
    modes = np.array(modes)
    classes = np.stack([modes // 100, modes // 10 % 10, modes % 10], axis=1)
    assert np.array_equal(modes_of(classes), modes)
    v = stacked_modes_from_classes(classes)
    counts = np.bincount(modes, minlength=1000)
    assert v["stacked_modes"] == len(set(modes.tolist()))
    assert v["stacked_kl"] == pytest.approx(entropy(counts / counts.sum(), np.full(1000, 1e-3)), rel=1e-9, abs=1e-12)
    assert -1e-12 <= v["stacked_kl"] <= math.log(1000) + 1e-12
    # KL ≥ log(K / modes): mass on m modes is at best uniform over them
    assert v["stacked_kl"] >= math.log(1000 / v["stacked_modes"]) - 1e-9
    # renaming the digit classes permutes the modes and changes nothing
    renamed = stacked_modes_from_classes(np.asarray(relabel)[classes])
    assert renamed["stacked_modes"] == v["stacked_modes"]
    assert renamed["stacked_kl"] == pytest.approx(v["stacked_kl"], rel=1e-9, abs=1e-12)
    # repeating every sample the same number of times leaves the histogram's shares unchanged
    assert stacked_modes_from_classes(np.tile(classes, (3, 1)))["stacked_kl"] == pytest.approx(v["stacked_kl"], rel=1e-9, abs=1e-12)


def test_real_stacks_cover_every_mode(stacked, real_test_stacks):
    result = evaluate(Replay(real_test_stacks), stacked, ["stacked_modes"])
    v = result["values"]
    assert v["stacked_modes"] >= 995
    # a uniform sampler's KL is ≈ (K − 1) / 2N = 0.019 at N = 26,000; ~1 % classifier errors per channel add little
    assert v["stacked_kl"] < 0.05
    protocol = result["protocol"]["metrics"]["stacked_modes"]
    assert protocol["n_generated"] == 26_000 and protocol["options"] == {"n": 26_000}
    assert "stacked_digits" in protocol["features"]


def test_one_repeated_triple_is_one_mode(stacked, digits):
    sevens = digits.test[digits.labels["test"] == 7][:1]
    triple = torch.cat([sevens, sevens, sevens], dim=1)  # (1, 3, 8, 8), mode 777
    v = evaluate(Replay(triple), stacked, ["stacked_modes"], options={"stacked_modes": {"n": 500}})["values"]
    assert v["stacked_modes"] == 1
    assert v["stacked_kl"] == pytest.approx(math.log(1000))


def test_given_samples_are_used_as_they_are(stacked):
    result = evaluate(None, stacked, ["stacked_modes"], fake=stacked.val[:1234])
    assert result["protocol"]["metrics"]["stacked_modes"]["n_generated"] == 1234
    assert result["values"]["stacked_modes"] <= 1000


def test_modes_match_the_labels_of_real_stacks(stacked):
    net = FEATURES.get("stacked_digits")()
    pred = modes_of(net.channel_classes(stacked.test[:2000]).numpy())
    assert np.mean(pred == stacked.labels["test"][:2000]) > 0.9  # ≥ 95 % per channel, cubed


def test_feature_network_joint_logits_are_the_product_of_the_channels(stacked):
    net = FEATURES.get("stacked_digits")()
    digits_net = FEATURES.get("digits")()
    x = stacked.test[:64]
    out = net.extract(x)
    assert out["features"].shape == (64, 192) and out["logits"].shape == (64, 1000)
    assert net.sha256 == digits_net.sha256
    per = torch.log_softmax(digits_net.extract(x.reshape(-1, 1, 8, 8))["logits"], 1).reshape(64, 3, 10).double()
    m = torch.as_tensor(modes_of(np.random.default_rng(0).integers(0, 10, size=(64, 3))))
    digit = torch.stack([m // 100, m // 10 % 10, m % 10], dim=1)  # (64, 3)
    expected = sum(per[:, c].gather(1, digit[:, c : c + 1]) for c in range(3))
    torch.testing.assert_close(out["logits"].double().gather(1, m[:, None]), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(torch.logsumexp(out["logits"].double(), 1), torch.zeros(64, dtype=torch.float64), rtol=0, atol=1e-4)
    assert torch.equal(out["logits"].argmax(1), torch.as_tensor(modes_of(net.channel_classes(x).numpy())))


def test_declarations_and_wrong_shapes(digits):
    assert value_direction("stacked_modes") == ("stacked_modes", True)
    assert value_direction("stacked_kl") == ("stacked_modes", False)
    assert METRICS.get("stacked_modes").options().n == 26_000  # PacGAN Table 2's sample count
    with pytest.raises(GanlabError, match="3, 8, 8"):
        evaluate(None, digits, ["stacked_modes"], fake=digits.test)
