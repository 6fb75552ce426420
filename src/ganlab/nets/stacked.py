"""Many runs of one architecture as one network: every parameter and buffer has a leading run dimension.

``Stacked(members)`` takes N independently initialised modules of the same architecture and
evaluates all of them in one call: ``forward(x)`` maps (N, B, …) to (N, B, …) with
``torch.func.vmap`` over ``functional_call`` of one structural copy — or, for the plain layer
sequences of ``nets.grouped`` (MLPs, DCGAN), with grouped kernels directly, which on a CPU
costs far less per operation than ``vmap``'s batching rules. The runs share every kernel
launch but never a number: BatchNorm keeps running statistics per run (its buffers are
stacked too, and updated in place per run), and gradients of a sum over runs are per-run
gradients. Element-wise optimisers (Adam, RMSProp, SGD, weight decay included) over the
stacked parameters are therefore N independent optimisers; anything that couples entries of a
parameter tensor (gradient clipping by global norm, LARS-style trust ratios) would not be.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, vmap

from ganlab.nets.grouped import compile_program


def _key(name: str) -> str:
    return name.replace(".", "__")  # parameter names may not contain dots


class _Method(nn.Module):
    """``inner.<name>`` as a module's forward, so ``functional_call`` can reach methods other than forward."""

    def __init__(self, inner: nn.Module, name: str) -> None:
        super().__init__()
        self.inner = inner
        self.name = name

    def forward(self, *args: Any) -> Any:
        return getattr(self.inner, self.name)(*args)


class Member:
    """Run i of a ``Stacked`` network, callable on that run's own (B, …) input, sharing its
    parameters (gradients flow into the stacked tensors)."""

    def __init__(self, stacked: Stacked, i: int) -> None:
        self.stacked, self.i = stacked, i

    def _tensors(self, prefix: str = "") -> dict[str, torch.Tensor]:
        s = self.stacked
        out = {prefix + n: s._parameters[_key(n)][self.i] for n in s.param_names}
        out.update({prefix + n: s._buffers[_key(n)][self.i] for n in s.buffer_names})
        return out

    def __call__(self, *args: Any) -> Any:
        return functional_call(self.stacked.base, self._tensors(), args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or not callable(getattr(self.stacked.base, name, None)):
            raise AttributeError(name)
        method = _Method(self.stacked.base, name)
        return lambda *args: functional_call(method, self._tensors("inner."), args)


class Stacked(nn.Module):
    """N modules of one architecture evaluated as one; see the module docstring."""

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("a stack needs at least one member")
        first = members[0]
        names = [n for n, _ in first.named_parameters()]
        buffers = [n for n, _ in first.named_buffers()]
        for m in members[1:]:
            if [n for n, _ in m.named_parameters()] != names or [n for n, _ in m.named_buffers()] != buffers:
                raise ValueError("stacked networks must share one architecture")
        self.runs = len(members)
        self.param_names, self.buffer_names = names, buffers
        # the structure to evaluate, outside the module tree (its tensors are never used: every
        # call substitutes the stacked ones), and a template with real tensors for unstacking
        object.__setattr__(self, "_base", copy.deepcopy(first).to("meta"))
        object.__setattr__(self, "_template", copy.deepcopy(first))
        # None: vmap serves
        object.__setattr__(self, "_program", compile_program(self._base))
        with torch.no_grad():
            for n in names:
                tensors = [dict(m.named_parameters())[n] for m in members]
                self.register_parameter(_key(n), nn.Parameter(torch.stack([t.detach() for t in tensors]).clone(),
                                                              requires_grad=tensors[0].requires_grad))  # fmt: skip
            for n in buffers:
                self.register_buffer(_key(n), torch.stack([dict(m.named_buffers())[n] for m in members]).clone())
        for attr in ("z_dim", "shape", "n_classes", "aux_outputs", "prior"):  # what trainers and metrics read of a G or D
            if hasattr(first, attr):
                setattr(self, attr, getattr(first, attr))
        self.train(first.training)

    @property
    def base(self) -> nn.Module:
        return self._base

    def train(self, mode: bool = True) -> Stacked:
        super().train(mode)
        self._base.train(mode)  # BatchNorm's behaviour under functional_call follows the structure's flag
        return self

    def forward(self, *args: torch.Tensor) -> Any:
        if self._program is not None and (len(args) == 1 or all(a is None for a in args[1:])):
            return self._program(self._base, {**self._parameters, **self._buffers}, args[0], self.runs, self.training)
        params = {n: self._parameters[_key(n)] for n in self.param_names}
        buffers = {n: self._buffers[_key(n)] for n in self.buffer_names}
        base = self._base
        return vmap(lambda p, b, *xs: functional_call(base, (p, b), xs))(params, buffers, *args)

    def member(self, i: int) -> Member:
        return Member(self, i)

    # --- one run's weights in the layout of a lone module ------------------------------------
    def member_state(self, i: int) -> dict[str, torch.Tensor]:
        """Run i's state dict, keyed as the lone module's (loads into it)."""
        out = {n: self._parameters[_key(n)][i].detach().clone() for n in self.param_names}
        out.update({n: self._buffers[_key(n)][i].clone() for n in self.buffer_names})
        return {k: out[k] for k in self._template.state_dict()}

    @torch.no_grad()
    def load_member_state(self, i: int, state: Mapping[str, torch.Tensor]) -> None:
        """Set run i from a lone module's state dict (exactly its keys)."""
        expected = set(self._template.state_dict())
        if set(state) != expected:
            missing, extra = sorted(expected - set(state))[:3], sorted(set(state) - expected)[:3]
            raise RuntimeError(f"state does not fit the stacked network (missing {missing}, unexpected {extra})")
        for n in self.param_names:
            self._parameters[_key(n)][i].copy_(state[n])
        for n in self.buffer_names:
            self._buffers[_key(n)][i].copy_(state[n])

    def unstack(self, i: int) -> nn.Module:
        """A lone module holding run i's weights (a copy, on the stack's device)."""
        device = next(iter(self._parameters.values())).device
        m = copy.deepcopy(self._template).to(device)
        m.load_state_dict(self.member_state(i))
        return m.train(self.training)


def stack(members: Sequence[nn.Module]) -> Stacked:
    """``Stacked(members)``: N networks of one architecture as one (see ``Stacked``)."""
    return Stacked(members)
