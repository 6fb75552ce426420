"""Weight initialisation schemes."""

import pytest
import torch
from torch import nn

from ganlab.nets import init_weights


@pytest.mark.parametrize("scheme", ["normal", "xavier", "orthogonal"])
def test_init_schemes(scheme):
    lin = init_weights(nn.Linear(64, 64), scheme)
    w = lin.weight.detach()
    if scheme == "normal":
        assert abs(w.std().item() - 0.02) < 0.003
    elif scheme == "orthogonal":
        torch.testing.assert_close(w @ w.T, torch.eye(64), atol=1e-5, rtol=0)
    else:
        bound = (6 / 128) ** 0.5
        assert w.abs().max() <= bound
    assert lin.bias.abs().max() == 0
