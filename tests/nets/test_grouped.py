"""The grouped kernels of ``nets.grouped`` compute what ``vmap`` over the members computes."""

from __future__ import annotations

import pytest
import torch

from ganlab.nets import grouped as grouped_kernels
from ganlab.nets.conditional import ConditionalBatchNorm
from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from ganlab.nets.grouped import compile_program
from ganlab.nets.init import apply_spectral_norm
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator
from ganlab.nets.stacked import Stacked

CASES = {
    "mlp G, BatchNorm": (lambda: MLPGenerator(3, 5, 16, 2, norm="batch"), (4, 7, 3)),
    "mlp D on images": (lambda: MLPDiscriminator(64, 16, 2), (4, 7, 1, 8, 8)),
    "mlp D, LayerNorm": (lambda: MLPDiscriminator(2, 16, 2, norm="layer"), (4, 7, 2)),
    "dcgan G": (lambda: DCGANGenerator(8, 1, 8, 16), (4, 7, 8)),
    "dcgan D, BatchNorm": (lambda: DCGANDiscriminator(3, 16, 16, norm="batch"), (4, 7, 3, 16, 16)),
    "dcgan D, GroupNorm": (lambda: DCGANDiscriminator(3, 16, 16, norm="layer"), (4, 7, 3, 16, 16)),
}


def _pair(make):
    torch.manual_seed(0)
    members = [make() for _ in range(4)]
    for m in members:  # BatchNorm's affine parameters and statistics away from their initial 1 and 0
        for name, t in m.state_dict().items():
            if t.is_floating_point():
                t.add_(0.1 * torch.randn_like(t)) if "running_var" not in name else t.uniform_(0.5, 2.0)
    grouped, mapped = Stacked(members), Stacked(members)
    object.__setattr__(mapped, "_program", None)  # the vmap path
    return members, grouped, mapped


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("conv", ["grouped", "split"])
def test_grouped_program_equals_vmap_outputs_gradients_and_statistics(case, training, conv, monkeypatch):
    """Both ways of evaluating the convolutions (one grouped kernel; one per run, the CPU's) agree with vmap."""
    monkeypatch.setattr(grouped_kernels, "CONV_SPLIT", conv)
    make, shape = CASES[case]
    _, grouped, mapped = _pair(make)
    assert grouped._program is not None
    x = torch.randn(shape)
    grouped.train(training), mapped.train(training)
    a, b = grouped(x), mapped(x)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    w = torch.randn_like(a)  # a loss that weighs every output differently
    (a * w).sum().backward()
    (b * w).sum().backward()
    for (name, p), (_, q) in zip(grouped.named_parameters(), mapped.named_parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=name)
    for (name, p), (_, q) in zip(grouped.named_buffers(), mapped.named_buffers()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=name)  # running statistics, per run


@pytest.mark.parametrize("case", ["mlp G, BatchNorm", "dcgan G"])
def test_run_i_of_the_grouped_program_is_member_i_alone(case):
    make, shape = CASES[case]
    members, grouped, _ = _pair(make)
    x = torch.randn(shape)
    out = grouped(x)  # training mode: batch statistics of run i's own batch only
    for i, m in enumerate(members):
        torch.testing.assert_close(out[i], m.train()(x[i]), rtol=1e-5, atol=1e-6)


def test_nets_the_program_does_not_know_keep_vmap():
    sn = apply_spectral_norm(MLPDiscriminator(2, 8, 2))
    assert compile_program(sn) is None  # a parametrised weight
    cond = MLPGenerator(2, 2, 8, 2, norm="batch", n_classes=3)
    assert any(isinstance(m, ConditionalBatchNorm) for m in cond.modules()) and compile_program(cond) is None
    hooked = MLPDiscriminator(2, 8, 2)
    hooked.net[0].register_forward_hook(lambda *a: None)
    assert compile_program(hooked) is None
    assert compile_program(torch.nn.Linear(2, 2)) is None  # no stack_layers: forward is unknown


def test_the_default_nets_get_a_program():
    """ring8 and the digits default train their groups with grouped kernels, not vmap."""
    from ganlab.api.groups import build_group
    from ganlab.config import make_config

    for over in (["data.name=ring8"], []):
        _, _, G, D = build_group(make_config(overrides=[*over, "train.runs=2", "eval.metrics=[]"]))
        assert G._program is not None and D._program is not None, over
