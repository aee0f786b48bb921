"""Linear layers with their bias and activation fused into one oneDNN call,
for inference on the CPU.

``F.linear`` on the CPU copies the bias into the output before the matrix
product adds to it, and GELU then reads and writes the whole activation
again: two passes over the largest tensors of a transformer block. oneDNN
applies the bias and the activation as the product's epilogue, while the
output tile is still in cache. Where no gradient is recorded, the input is
float32 or bfloat16 (with native bf16 units) on the CPU and nothing traces
or compiles the model (ONNX export, ``torch.compile``, which fuse in their
own way), these functions take oneDNN's kernels; everywhere else they are
exactly ``F.linear`` and ``F.gelu``, which autograd differentiates.
"""
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn


@lru_cache(maxsize=None)
def _onednn_dtypes() -> tuple:
    if not torch.backends.mkldnn.is_available():
        return ()
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return (torch.float32, torch.bfloat16)
    return (torch.float32, )


def _takes_onednn(x: torch.Tensor, layer: nn.Linear) -> bool:
    # tracing and compiling see the plain ops (and fuse in their own way)
    if torch.jit.is_tracing() or torch.jit.is_scripting() \
            or torch.compiler.is_compiling():
        return False
    weight = layer.weight
    if torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad):
        return False
    # autocast casts the arguments of F.linear, not of oneDNN's operator
    if torch.is_autocast_enabled('cpu'):
        return False
    return (x.device.type == 'cpu' and x.dtype == weight.dtype
            and x.dtype in _onednn_dtypes())


def linear(x: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
    """``layer(x)``: (..., in_features) -> (..., out_features)."""
    if _takes_onednn(x, layer):
        return torch.ops.mkldnn._linear_pointwise(x, layer.weight, layer.bias,
                                                  'none', [], '')
    return F.linear(x, layer.weight, layer.bias)


def linear_gelu(x: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
    """``F.gelu(layer(x))`` (exact, erf GELU): (..., in_features) ->
    (..., out_features)."""
    if _takes_onednn(x, layer):
        return torch.ops.mkldnn._linear_pointwise(x, layer.weight, layer.bias,
                                                  'gelu', [], 'none')
    return F.gelu(F.linear(x, layer.weight, layer.bias))


class Linear(nn.Linear):
    """``nn.Linear`` whose bias is fused into the product in CPU inference
    (see :func:`linear`); same parameters, same state dict."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self)


class LinearGELU(nn.Linear):
    """``nn.Linear`` followed by the exact GELU, fused into one kernel in
    CPU inference (see :func:`linear_gelu`); the parameters and state dict
    of ``nn.Linear``. Its output (what a forward hook sees) is the GELU's.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear_gelu(x, self)
