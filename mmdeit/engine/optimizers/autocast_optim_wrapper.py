"""Mixed precision without loss scaling, for bfloat16 on any device."""
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import OptimWrapper
from torch import nn

from mmdeit.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` that runs the forward pass (data preprocessor,
    model and loss) under ``torch.autocast``.

    mmengine's ``AmpOptimWrapper`` refuses to start without an accelerator;
    bfloat16 has the exponent range of float32 and needs no loss scaling, so
    this wrapper is all that bf16 training on the CPU takes. Parameters,
    gradients and optimizer states stay in float32.

    Args:
        dtype: 'bfloat16' (default) or a ``torch.dtype``.
        device_type: the autocast device; by default mmengine's current device
            ('cuda' when available, else 'cpu').
        **kwargs: arguments of ``OptimWrapper`` (optimizer, clip_grad,
            accumulative_counts).
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 device_type: Optional[str] = None, **kwargs):
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype, str) \
            else dtype
        self.device_type = device_type or get_device()

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                device_type=self.device_type, dtype=self.cast_dtype):
            yield
