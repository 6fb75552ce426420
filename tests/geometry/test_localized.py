"""Localized GAN: G(x, 0) = x, its local tangents, saving and loading, edits."""

import pytest
import torch

from ganlab.game import PENALTIES, Batch
from ganlab.geometry.localized import LocalGenerator, LocalizedConfig, edits, load_localized, train_localized


def orthonormality(J, gamma=1.0):
    """E_x ‖J_xᵀJ_x − γI‖²_F of tangents J (B, D, k), written out independently of the penalty."""
    gram = J.transpose(1, 2) @ J
    return (gram - gamma * torch.eye(J.shape[-1], dtype=J.dtype)).pow(2).sum(dim=(1, 2)).mean()


def test_g_x_0_is_x_after_short_training(tmp_path):
    x = torch.rand(80, 1, 8, 8) * 2 - 1
    model = train_localized(x, LocalizedConfig(steps=15, width=32, batch_size=16), progress=False)
    torch.testing.assert_close(model.G(x, torch.zeros(80, 8)), x)
    key = "G/orthonormal_tangent"
    assert model.history[-1][key] < model.history[0][key]  # the regulariser is being optimised
    model.save(tmp_path / "m.pt")
    again = load_localized(tmp_path / "m.pt")
    z = torch.randn(80, 8)
    torch.testing.assert_close(again.G(x, z), model.G(x, z))
    assert edits(model.G, x[:2], directions=2, ts=(-1, 0, 1)).shape == (12, 1, 8, 8)
    torch.testing.assert_close(edits(model.G, x[:2], directions=2, ts=(-1, 0, 1))[1], x[0])  # t = 0 is x


def test_local_tangents_match_autograd_and_orthonormality():
    G = LocalGenerator((6,), z_dim=3, width=16)
    x = torch.randn(4, 6)
    J = G.tangents(x)
    ref = torch.autograd.functional.jacobian(lambda z: G(x[1:2], z[None])[0], torch.zeros(3))
    torch.testing.assert_close(J[1], ref)
    Q, _ = torch.linalg.qr(torch.randn(4, 6, 3))
    assert orthonormality(Q).item() == pytest.approx(0, abs=1e-10)
    assert orthonormality(2 * Q).item() == pytest.approx(27.0, rel=1e-5)  # 3 diagonal entries (4 − 1)²
    orthonormality(J).backward()  # differentiable w.r.t. the parameters through the jvp
    assert G.h[0].weight.grad is not None and G.h[0].weight.grad.abs().sum() > 0
    # the training loss is the game's penalty at the chart origin: it equals ‖JᵀJ − I‖²_F of these tangents
    pen = PENALTIES.get("orthonormal_tangent")(at="origin", mode="exact")
    z = torch.randn(4, 3)  # where the fakes were drawn; the penalty looks at z = 0
    term = pen(Batch(None, x, x, G=lambda z_: G(x, z_), z=z))
    torch.testing.assert_close(term, orthonormality(G.tangents(x)))
