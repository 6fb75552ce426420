"""Tangents of a generator: exact Jacobians, singular values, effective rank."""

import math

import pytest
import torch
from torch import nn

from ganlab.errors import GanlabError
from ganlab.game import PENALTIES, Batch
from ganlab.metrics.tangents import effective_rank, jacobian, singular_values, spectrum, summarize, threshold_rank
from tests.helpers import Linear


class NoForwardAD(torch.autograd.Function):
    """tanh with a backward rule only: forward-mode AD raises, so jacobian must fall back."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


def _mlp(z_dim: int = 5, out: int = 7) -> nn.Module:
    G = nn.Sequential(nn.Linear(z_dim, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, out))
    G.z_dim = z_dim
    G.train()
    G(torch.randn(64, z_dim))  # running statistics that differ from the defaults
    return G


def test_jacobian_of_linear_generator_is_its_weight():
    W = torch.randn(6, 4)
    J = jacobian(Linear(W), torch.randn(10, 4))
    torch.testing.assert_close(J, W.expand(10, 6, 4))


def test_forward_and_reverse_agree_and_use_eval_mode():
    G = _mlp()
    z = torch.randn(9, 5)
    Jf, Jr = jacobian(G, z, mode="forward"), jacobian(G, z, mode="reverse")
    torch.testing.assert_close(Jf, Jr)
    G.eval()
    one = torch.autograd.functional.jacobian(lambda v: G(v[None])[0], z[3])  # BatchNorm on running stats
    torch.testing.assert_close(Jf[3], one)
    G.train()
    assert G.training  # restored


def test_falls_back_to_reverse_mode():
    lin = nn.Linear(3, 4)

    class G(nn.Module):
        z_dim = 3

        def forward(self, z):
            return NoForwardAD.apply(lin(z))

    z = torch.randn(5, 3)
    J = jacobian(G(), z)
    ref = torch.stack([torch.autograd.functional.jacobian(lambda v: torch.tanh(lin(v)), zi) for zi in z])
    torch.testing.assert_close(J, ref)
    with pytest.raises(RuntimeError):
        jacobian(G(), z, mode="forward")


def test_ignoring_one_latent_coordinate_lowers_the_rank_by_one():
    W = torch.randn(10, 4)
    full = singular_values(jacobian(Linear(W), torch.randn(3, 4)))
    W[:, 2] = 0  # G ignores z₂
    lost = singular_values(jacobian(Linear(W), torch.randn(3, 4)))
    assert (threshold_rank(full) == 4).all() and (threshold_rank(lost) == 3).all()
    torch.testing.assert_close(effective_rank(lost), effective_rank(lost[:, :3]), atol=1e-6, rtol=0)  # a zero σ adds nothing
    assert (effective_rank(full) > effective_rank(lost)).all()


def test_effective_rank_closed_forms():
    s = torch.tensor([[2.0, 2.0, 2.0, 0.0], [1.0, 0.0, 0.0, 0.0], [3.0, 1.0, 0.0, 0.0]], dtype=torch.float64)
    p = torch.tensor([0.75, 0.25], dtype=torch.float64)
    expected = torch.tensor([3.0, 1.0, math.exp(-(p * p.log()).sum().item())], dtype=torch.float64)
    torch.testing.assert_close(effective_rank(s), expected)
    assert effective_rank(torch.zeros(1, 3)).item() == 0
    torch.testing.assert_close(threshold_rank(torch.tensor([[1.0, 0.5, 0.009]])), torch.tensor([2]))


def test_orthonormal_penalty_zero_for_isometry_positive_otherwise():
    Q, _ = torch.linalg.qr(torch.randn(8, 3))
    pen = PENALTIES.get("orthonormal_tangent")()
    z = torch.randn(16, 3)
    iso = Linear(Q)
    assert pen(Batch(None, z, iso(z), G=iso, z=z)).item() == pytest.approx(0, abs=1e-10)
    assert (singular_values(jacobian(iso, z)) - 1).abs().max() < 1e-5
    bent = Linear(Q * torch.tensor([1.0, 2.0, 1.0]))
    assert pen(Batch(None, z, bent(z), G=bent, z=z)).item() == pytest.approx(9.0, rel=1e-5)  # (2² − 1)²


def test_summary_and_errors():
    G = _mlp()
    summ = summarize(spectrum(G, 8))
    assert 1 <= summ["tangent_erank"] <= summ["tangent_rank_max"] == 5
    with pytest.raises(GanlabError):
        jacobian(G, torch.randn(2, 5), mode="sideways")
    with pytest.raises(GanlabError):
        spectrum(nn.Linear(2, 2), 4)
