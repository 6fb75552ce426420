"""Optimisers by name, and their implementations: foreach is the loop, bit for bit."""

import copy

import pytest
import torch

from ganlab.config import OPTIMIZERS
from ganlab.nets.dcgan import DCGANGenerator
from ganlab.train.optim import _MAKERS, impl_options, make_optimizer


def test_every_configurable_optimiser_has_a_maker():
    assert tuple(_MAKERS) == OPTIMIZERS


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_foreach_step_is_bit_identical_to_the_loop(name):
    torch.manual_seed(0)
    net = DCGANGenerator(8, 1, 8, 8)
    a, b = copy.deepcopy(net), copy.deepcopy(net)
    opt_a = make_optimizer(name, a.parameters(), 1e-3, (0.5, 0.999), "loop")
    opt_b = make_optimizer(name, b.parameters(), 1e-3, (0.5, 0.999), "foreach")
    for _ in range(5):
        grads = [torch.randn_like(p) for p in net.parameters()]
        for p, q, g in zip(a.parameters(), b.parameters(), grads):
            p.grad, q.grad = g.clone(), g.clone()
        opt_a.step()
        opt_b.step()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_auto_picks_foreach_on_cpu_and_fused_adam_on_cuda():
    assert impl_options("auto", "adam", torch.device("cpu")) == {"foreach": True}
    assert impl_options("auto", "adam", torch.device("cuda")) == {"fused": True}
    assert impl_options("auto", "sgd", torch.device("cuda")) == {"foreach": True}
    assert impl_options("loop", "adam", torch.device("cpu")) == {"foreach": False}
