"""Inference in bfloat16: the backbone's weights cast once, float32 images
in and float32 features out.

``precision`` is 'fp32', 'bf16' or 'auto' (bf16 where the device computes
it natively: a CPU with AVX512-BF16 or AMX, a GPU that supports bf16).
Unlike ``torch.autocast``, which casts every weight again at every call,
the weights are cast once; the data preprocessor, neck and head stay in
float32 (they are cheap, and the scores keep float32's resolution).
"""
from typing import Iterable, Optional, Union

import torch
from torch import nn

from mmdeit.utils.cpu import cpu_has_bf16

PRECISIONS = ('fp32', 'bf16', 'auto')
DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}


def device_has_bf16(device: Union[str, torch.device] = 'cpu',
                    cpu_flags: Optional[Iterable[str]] = None) -> bool:
    """Whether ``device`` computes bfloat16 natively (``cpu_flags``: the
    CPU's flags, default this machine's)."""
    kind = torch.device(device).type
    if kind == 'cuda':
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if kind == 'cpu':
        return cpu_has_bf16(cpu_flags)
    return False


def resolve_precision(precision: str, device: Union[str, torch.device] = 'cpu',
                      cpu_flags: Optional[Iterable[str]] = None) -> str:
    """'fp32' or 'bf16' for ``precision`` on ``device``: 'auto' is 'bf16'
    where the device has bf16 units (see :func:`device_has_bf16`), else
    'fp32'."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision "{precision}" is not one of '
                         f'{", ".join(PRECISIONS)}')
    if precision != 'auto':
        return precision
    return 'bf16' if device_has_bf16(device, cpu_flags) else 'fp32'


def _cast_floats(value, dtype: torch.dtype):
    """``value`` with its floating tensors (in tuples and lists too) cast to
    ``dtype``."""
    if isinstance(value, torch.Tensor):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, (tuple, list)):
        return type(value)(_cast_floats(item, dtype) for item in value)
    return value


def set_inference_precision(model: nn.Module, precision: str) -> nn.Module:
    """Run ``model.backbone`` in ``precision`` ('fp32' or 'bf16', see
    :func:`resolve_precision` for 'auto') for inference.

    For 'bf16' the backbone's weights are cast in place once, and hooks cast
    its input to bfloat16 and its outputs back to float32, so that the
    model takes and returns what it did in float32 (``forward``,
    ``predict``, ``forward_both`` of a distilled head alike). Returns
    ``model``.
    """
    dtype = DTYPES.get(precision)
    if dtype is None:
        raise ValueError(f'precision "{precision}" is not one of '
                         f'{", ".join(DTYPES)} (resolve "auto" first with '
                         'resolve_precision)')
    if dtype == torch.float32:
        return model
    backbone = model.backbone
    backbone.to(dtype)
    backbone.register_forward_pre_hook(
        lambda _, args: _cast_floats(args, dtype))
    backbone.register_forward_hook(
        lambda _, __, output: _cast_floats(output, torch.float32))
    return model
