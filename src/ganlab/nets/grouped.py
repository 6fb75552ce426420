"""N runs of a layer sequence evaluated with grouped kernels instead of ``vmap``.

``vmap`` over ``functional_call`` is general but pays its batching rules on every operation,
which on a CPU costs more than the arithmetic of small nets (a group of 2 ring8 runs was
slower than two lone runs). Networks built from a plain sequence of layers — the MLPs and the
DCGAN pair — have a direct grouped form, each layer one kernel for all runs:

- ``Linear``: one batched matmul, activations laid out (N, B, F);
- ``Conv2d`` / ``ConvTranspose2d``: images laid out (B, N·C, H, W), run n owning channels
  [n·C, (n+1)·C); on a GPU one grouped convolution (``groups = N`` keeps the runs apart), on a
  CPU N convolutions of the runs' slices (``CONV_SPLIT``): oneDNN's grouped convolution costs
  more than N plain ones at these sizes (digits DCGAN: 15.0 vs 13.2 ms per run and step,
  benchmarks/RESULTS.md), so there only the layers around the convolutions are batched;
- ``BatchNorm``: one batch norm over N·C channels — per-run, per-channel statistics, exactly
  what N separate layers compute, running statistics updated in place in the stacked buffers;
- ``GroupNorm(g, C)`` → ``GroupNorm(N·g, N·C)``; ``LayerNorm`` per run over the last dimension;
- element-wise activations, ``Flatten`` and ``Unflatten`` change only the layout.

A network opts in by naming its sequences in ``stack_layers`` (forward(x) must be those
sequences applied in order to x, flattened first when ``stack_flatten_input``). Anything else
in them (spectral-norm parametrisations, hooks, conditional layers, unknown modules) makes
``compile_program`` return None and the stack keeps ``vmap``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.GELU, nn.SiLU, nn.Softplus, nn.Identity)

#: how a group evaluates its convolutions: "grouped" (one kernel), "split" (one per run) or "auto"
#: (split on a CPU, grouped elsewhere); read at call time, so a benchmark can time both in one process
CONV_SPLIT = "auto"

Tensors = dict[str, torch.Tensor]
Step = Callable[[nn.Module, torch.Tensor, Tensors, int, bool], torch.Tensor]


def _flat_to_image(x: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    n, b = x.shape[:2]
    return x.transpose(0, 1).reshape(b, n * shape[0], *shape[1:])


def _image_to_flat(x: torch.Tensor, runs: int) -> torch.Tensor:
    b = x.shape[0]
    return x.reshape(b, runs, -1).transpose(0, 1)


def _key(path: str, name: str) -> str:
    return f"{path}.{name}".replace(".", "__")


def _linear(key: str, has_bias: bool) -> Step:
    def step(layer: nn.Module, x: torch.Tensor, t: Tensors, runs: int, training: bool) -> torch.Tensor:
        w = t[key + "__weight"].transpose(1, 2)  # (N, in, out)
        return torch.baddbmm(t[key + "__bias"].unsqueeze(1), x, w) if has_bias else torch.bmm(x, w)

    return step


def _conv(key: str, transposed: bool) -> Step:
    def step(layer: nn.Module, x: torch.Tensor, t: Tensors, runs: int, training: bool) -> torch.Tensor:
        w = t[key + "__weight"]  # (N, out, in/g, k, k); transposed (N, in, out/g, k, k)
        bias = t[key + "__bias"] if layer.bias is not None else None
        if runs > 1 and (CONV_SPLIT == "split" or (CONV_SPLIT == "auto" and x.device.type == "cpu")):
            xs = x.chunk(runs, dim=1)
            if transposed:
                outs = [F.conv_transpose2d(xs[n], w[n], None if bias is None else bias[n], layer.stride, layer.padding,
                                           layer.output_padding, layer.groups, layer.dilation) for n in range(runs)]  # fmt: skip
            else:
                outs = [F.conv2d(xs[n], w[n], None if bias is None else bias[n], layer.stride, layer.padding, layer.dilation,
                                 layer.groups) for n in range(runs)]  # fmt: skip
            return torch.cat(outs, 1)
        w = w.reshape(runs * w.shape[1], *w.shape[2:])
        b = bias.reshape(-1) if bias is not None else None
        groups = runs * layer.groups
        if transposed:
            return F.conv_transpose2d(x, w, b, layer.stride, layer.padding, layer.output_padding, groups, layer.dilation)
        return F.conv2d(x, w, b, layer.stride, layer.padding, layer.dilation, groups)

    return step


def _batch_norm(key: str, tracked: bool, flat: bool) -> Step:
    def step(layer: nn.Module, x: torch.Tensor, t: Tensors, runs: int, training: bool) -> torch.Tensor:
        use_batch = training or not tracked
        mean = t[key + "__running_mean"].view(-1) if tracked else None  # views: updated in place
        var = t[key + "__running_var"].view(-1) if tracked else None
        w = t[key + "__weight"].reshape(-1) if layer.affine else None
        b = t[key + "__bias"].reshape(-1) if layer.affine else None
        if training and tracked:
            t[key + "__num_batches_tracked"].add_(1)
        if flat:  # (N, B, C) → (B, N·C) and back
            n, bsz, c = x.shape
            y = F.batch_norm(x.transpose(0, 1).reshape(bsz, n * c), mean, var, w, b, use_batch, layer.momentum, layer.eps)
            return y.reshape(bsz, n, c).transpose(0, 1)
        return F.batch_norm(x, mean, var, w, b, use_batch, layer.momentum, layer.eps)

    return step


def _group_norm(key: str) -> Step:
    def step(layer: nn.Module, x: torch.Tensor, t: Tensors, runs: int, training: bool) -> torch.Tensor:
        w = t[key + "__weight"].reshape(-1) if layer.affine else None
        b = t[key + "__bias"].reshape(-1) if layer.affine else None
        return F.group_norm(x, runs * layer.num_groups, w, b, layer.eps)

    return step


def _layer_norm(key: str) -> Step:
    def step(layer: nn.Module, x: torch.Tensor, t: Tensors, runs: int, training: bool) -> torch.Tensor:
        y = F.layer_norm(x, layer.normalized_shape, None, None, layer.eps)
        if layer.elementwise_affine:
            y = y * t[key + "__weight"].unsqueeze(1) + t[key + "__bias"].unsqueeze(1)
        return y

    return step


def _layout(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> Step:
    return lambda layer, x, t, runs, training: fn(x, runs)


def _apply(layer: nn.Module, x: torch.Tensor, t: Tensors, runs: int, training: bool) -> torch.Tensor:
    return layer(x)


class Program:
    """The grouped form of one network: ``program(structure, tensors, x, runs, training)`` maps the
    runs' inputs (N, B, …) to their outputs (N, B, …), reading the stacked parameters and buffers
    and each layer's settings from ``structure`` at the call (standing statistics change BatchNorm's
    momentum for a while; a deep copy of a stack has its own structure)."""

    def __init__(self, steps: list[tuple[Step, str]], flatten_input: bool, flat_output: bool) -> None:
        self.steps, self.flatten_input, self.flat_output = steps, flatten_input, flat_output

    def __call__(self, structure: nn.Module, tensors: Tensors, x: torch.Tensor, runs: int, training: bool) -> torch.Tensor:
        if x.dim() == 3 or self.flatten_input:
            x = x.flatten(2)
        else:  # images (N, B, C, H, W) → (B, N·C, H, W)
            x = x.transpose(0, 1).reshape(x.shape[1], runs * x.shape[2], *x.shape[3:])
        for step, path in self.steps:
            x = step(structure.get_submodule(path), x, tensors, runs, training)
        if not self.flat_output:
            b = x.shape[0]
            x = x.reshape(b, runs, -1, *x.shape[2:]).transpose(0, 1)
        return x.contiguous()


def compile_program(module: nn.Module) -> Program | None:
    """The grouped form of ``module``, or None when it is not a plain sequence this file knows."""
    names = getattr(type(module), "stack_layers", None)
    if not names:
        return None
    flatten_input = bool(getattr(type(module), "stack_flatten_input", False))
    steps: list[tuple[Step, str]] = []
    used: set[str] = set()
    flat = True  # inputs are flat vectors unless they are images and not flattened; fixed at the first layer below
    first = True
    for seq_name in names:
        seq = getattr(module, seq_name, None)
        if not isinstance(seq, nn.Sequential):
            return None
        for idx, layer in enumerate(seq):
            path = f"{seq_name}.{idx}"
            hooked = layer._forward_hooks or layer._forward_pre_hooks
            if parametrize.is_parametrized(layer) or hooked or getattr(layer, "conditional", False):
                return None
            if first:
                flat = flatten_input or isinstance(layer, (nn.Linear, nn.BatchNorm1d, nn.LayerNorm))
                first = False
            own = [n for n, _ in layer.named_parameters()] + [n for n, _ in layer.named_buffers()]
            used.update(_key(path, n) for n in own)
            key = path.replace(".", "__")
            kind = type(layer)
            if kind is nn.Linear and flat:
                step = _linear(key, layer.bias is not None)
            elif kind in (nn.Conv2d, nn.ConvTranspose2d) and not flat and layer.padding_mode == "zeros" and type(layer.padding) is tuple:
                step = _conv(key, kind is nn.ConvTranspose2d)
            elif kind in (nn.BatchNorm1d, nn.BatchNorm2d) and (kind is nn.BatchNorm1d) == flat and layer.momentum is not None:
                step = _batch_norm(key, layer.track_running_stats, flat)
            elif kind is nn.GroupNorm and not flat:
                step = _group_norm(key)
            elif kind is nn.LayerNorm and flat and len(layer.normalized_shape) == 1:
                step = _layer_norm(key)
            elif kind is nn.Flatten and not flat and layer.start_dim == 1 and layer.end_dim == -1:
                step = _layout(_image_to_flat)
                flat = True
            elif kind is nn.Unflatten and flat and layer.dim == 1:
                shape = tuple(layer.unflattened_size)
                step = _layout(lambda x, runs, shape=shape: _flat_to_image(x, shape))
                flat = False
            elif kind in ELEMENTWISE and not own:
                step = _apply
            else:
                return None
            steps.append((step, path))
    everything = {_key("", n)[2:] for n, _ in module.named_parameters()} | {_key("", n)[2:] for n, _ in module.named_buffers()}
    if used != everything:  # a tensor the sequences do not hold: forward does more than they do
        return None
    return Program(steps, flatten_input, flat)
