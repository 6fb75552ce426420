"""AC-GAN's classifier term, InfoGAN's mutual-information term and one-sided label smoothing:
against the peers' numeric expectations (TF-GAN losses_impl_test.py, torchgan test_losses.py),
against formulas computed independently in numpy, and their properties (weight 0 is the base
loss, ε = 0 is the base loss, linear in the weight)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from ganlab.game import Batch
from ganlab.game.auxiliary import gaussian_log_likelihood
from ganlab.game.factory import make_game

# TF-GAN ACGANLossTest
GEN_LOGITS = [[10.0, 4.4, -5.5, 3.6], [-4.0, 4.4, 5.2, 4.6], [1.1, 2.4, -3.5, 5.6], [1.1, 2.4, -3.5, 5.6]]
REAL_LOGITS = [[-2.0, 0.4, 12.5, 2.7], [-1.2, 1.9, 12.3, 2.6], [-2.4, -1.7, 2.5, 2.7], [1.1, 2.4, -3.5, 5.6]]
LABELS = [1, 2, 0, 0]  # the argmax of TF-GAN's one-hot labels
# TF-GAN _LossesTest
D_REAL = [-5.0, 1.4, 12.5, 2.7]
D_FAKE = [10.0, 4.4, -5.5, 3.6]


def acgan_batch(d_real=None, d_fake=None, dtype=torch.float32) -> Batch:
    """A batch whose D outputs are [d, class logits] as the AC-GAN discriminator emits them."""
    n = len(GEN_LOGITS)
    d_r = torch.tensor(d_real if d_real is not None else [0.0] * n, dtype=dtype)[:, None]
    d_f = torch.tensor(d_fake if d_fake is not None else [0.0] * n, dtype=dtype)[:, None]
    real = torch.cat([d_r, torch.tensor(REAL_LOGITS, dtype=dtype)], 1)
    fake = torch.cat([d_f, torch.tensor(GEN_LOGITS, dtype=dtype)], 1)
    y = torch.tensor(LABELS)
    x = torch.zeros(n, 1)
    return Batch(None, x, x, d_real=real, d_fake=fake, y_real=y, y_fake=y, aux=4)


def np_ce(logits, labels) -> float:
    logits = np.asarray(logits, np.float64)
    logp = logits - logits.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    return float(-logp[np.arange(len(labels)), labels].mean())


def test_acgan_matches_tfgan():
    game = make_game("non_saturating", {}, [{"name": "acgan", "weight": 1.0}])
    b = acgan_batch()
    assert game.losses(b, "G")["acgan"].item() == pytest.approx(3.84974, abs=1e-5)
    assert game.losses(b, "D")["acgan"].item() == pytest.approx(9.43950, abs=1e-5)


def test_acgan_matches_numpy_and_is_linear_in_weight():
    b = acgan_batch(dtype=torch.float64)
    for w in (0.3, 2.5):
        game = make_game("non_saturating", {}, [{"name": "acgan", "weight": w}])
        assert_allclose(game.losses(b, "G")["acgan"].item(), w * np_ce(GEN_LOGITS, LABELS), rtol=1e-12)
        assert_allclose(game.losses(b, "D")["acgan"].item(), w * (np_ce(REAL_LOGITS, LABELS) + np_ce(GEN_LOGITS, LABELS)), rtol=1e-12)


def test_acgan_weight_zero_is_the_base_objective():
    """Same totals and same gradients as the objective alone (the class head gets none)."""
    rng = np.random.default_rng(0)
    real = torch.tensor(rng.normal(size=(8, 5)), requires_grad=True)
    fake = torch.tensor(rng.normal(size=(8, 5)), requires_grad=True)
    y = torch.tensor(rng.integers(0, 4, 8))
    base, zero = make_game("hinge"), make_game("hinge", {}, [{"name": "acgan", "weight": 0.0}])
    for player in ("D", "G"):
        b0 = Batch(None, real, fake, d_real=real[:, :1], d_fake=fake[:, :1], y_real=y, y_fake=y)
        b1 = Batch(None, real, fake, d_real=real, d_fake=fake, y_real=y, y_fake=y, aux=4)
        t0, t1 = base.total(b0, player), zero.total(b1, player)
        assert t0.item() == t1.item()
        g0 = torch.autograd.grad(t0, [real, fake], allow_unused=True)
        g1 = torch.autograd.grad(t1, [real, fake], allow_unused=True)
        for a, c in zip(g0, g1):
            none = torch.zeros_like(real)
            a = a if a is not None else none
            c = c if c is not None else none
            assert torch.equal(a[:, :1], c[:, :1]) and not c[:, 1:].any()  # no gradient reaches the class logits


def test_mutual_information_matches_tfgan():
    """TF-GAN: a categorical code 1 under logits [1, 2] and a continuous code 2.0 under N(0, 1)
    → 1.61610 (the mean of the two groups' negative log-likelihoods)."""
    game = make_game("non_saturating", {}, [{"name": "infogan", "weight": 1.0, "categorical": [2], "continuous": 1}])
    z = torch.tensor([[0.3, 0.0, 1.0, 2.0]])  # one noise entry, then one-hot(1) of 2, then the continuous code
    q = torch.tensor([[0.0, 1.0, 2.0, 0.0]])  # [d, logits of the categorical code, mean of the continuous one]
    b = Batch(None, z, z, z=z, d_real=q, d_fake=q, aux=3)
    assert game.losses(b, "G")["infogan"].item() == pytest.approx(1.61610, abs=1e-5)
    assert game.losses(b, "D")["infogan"].item() == pytest.approx(1.61610, abs=1e-5)


def test_mutual_information_matches_torchgan():
    """torchgan's test_mutual_info_penalty: −mean log N(c; μ, σ) = 4.491654 for its continuous
    codes, and 0.7086121 for its categorical ones (torch's Categorical broadcasts its (2, 2)
    values against two distributions: value [i][j] is scored by distribution j, which is the
    four (logits, code) pairs below)."""
    mean = torch.tensor([[1.3, 4.6, 7.1], [0.2, 11.4, 1.0]])
    std = torch.tensor([[1.0, 0.5, 3.1], [0.2, 3.5, 4.9]])
    c = torch.tensor([[1.4, 4.0, 5.0], [-1.0, 7.0, 2.0]])
    assert (-gaussian_log_likelihood(c, mean, std).mean()).item() == pytest.approx(4.491654, abs=1e-5)
    logits = torch.tensor([[0.5, 0.5], [0.75, 0.25], [0.5, 0.5], [0.75, 0.25]])
    codes = torch.tensor([0, 1, 1, 0])
    game = make_game("non_saturating", {}, [{"name": "infogan", "weight": 1.0, "categorical": [2], "continuous": 0}])
    z = torch.cat([torch.zeros(4, 1), torch.nn.functional.one_hot(codes, 2).float()], 1)
    q = torch.cat([torch.zeros(4, 1), logits], 1)
    b = Batch(None, z, z, z=z, d_real=q, d_fake=q, aux=2)
    assert game.losses(b, "G")["infogan"].item() == pytest.approx(0.7086121, abs=1e-6)


def test_gaussian_log_likelihood_against_the_density():
    rng = np.random.default_rng(1)
    x, mu, sd = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), rng.uniform(0.2, 3, size=(6, 3))
    ref = (-0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)).mean(1)
    got = gaussian_log_likelihood(torch.tensor(x), torch.tensor(mu), torch.tensor(sd)).numpy()
    assert_allclose(got, ref, rtol=1e-12)


def test_infogan_term_is_minimised_by_a_q_that_reads_the_codes():
    """Q's logits peaked on the true code and means on the true continuous code give a smaller
    term than uninformative outputs: the bound rewards recovering c."""
    game = make_game("non_saturating", {}, [{"name": "infogan", "categorical": [3], "continuous": 2}])
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 3, (16,), generator=g)
    cont = torch.rand(16, 2, generator=g) * 2 - 1
    z = torch.cat([torch.randn(16, 4, generator=g), torch.nn.functional.one_hot(idx, 3).float(), cont], 1)
    good = torch.cat([torch.zeros(16, 1), 8 * torch.nn.functional.one_hot(idx, 3).float(), cont], 1)
    flat = torch.zeros(16, 6)
    term = [game.losses(Batch(None, z, z, z=z, d_real=q, d_fake=q, aux=5), "G")["infogan"].item() for q in (good, flat)]
    assert term[0] < term[1]


@pytest.mark.parametrize("objective", ["minimax", "non_saturating", "max_likelihood"])
def test_label_smoothing_zero_is_the_base_loss(objective):
    rng = np.random.default_rng(2)
    dr, df = torch.tensor(rng.normal(size=16) * 3), torch.tensor(rng.normal(size=16) * 3)
    b = Batch(None, dr, df, d_real=dr, d_fake=df)
    base, zero = make_game(objective), make_game(objective, {"label_smoothing": 0.0})
    assert base.total(b, "D").item() == zero.total(b, "D").item()
    assert base.total(b, "G").item() == make_game(objective, {"label_smoothing": 0.2}).total(b, "G").item()


def test_label_smoothing_matches_tfgan_and_the_formula():
    """TF-GAN smooths toward ½ (label_smoothing = 0.25 → real target 0.875): its 6.19637 is our ε = 0.125."""
    dr, df = torch.tensor(D_REAL), torch.tensor(D_FAKE)
    b = Batch(None, dr, df, d_real=dr, d_fake=df)
    assert make_game("minimax", {"label_smoothing": 0.125}).total(b, "D").item() == pytest.approx(6.19637, abs=1e-5)
    eps = 0.3
    r, f = np.array(D_REAL), np.array(D_FAKE)
    sig = 1 / (1 + np.exp(-r))
    ref = -np.mean((1 - eps) * np.log(sig) + eps * np.log(1 - sig)) - np.mean(np.log(1 - 1 / (1 + np.exp(-f))))
    got = make_game("non_saturating", {"label_smoothing": eps}).total(Batch(None, dr.double(), df.double(),
                                                                               d_real=dr.double(), d_fake=df.double()), "D")  # fmt: skip
    assert_allclose(got.item(), ref, rtol=1e-8)  # numpy's log(1 − σ) loses digits at d = 12.5


def test_label_smoothing_out_of_range_is_refused():
    from ganlab.errors import GanlabError

    with pytest.raises(GanlabError, match="label_smoothing"):
        make_game("non_saturating", {"label_smoothing": 1.0})
