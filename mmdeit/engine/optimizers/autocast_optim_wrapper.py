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


MIXED_WRAPPERS = ('AmpOptimWrapper', 'AutocastOptimWrapper',
                  'GuardedAmpOptimWrapper', 'GuardedAutocastOptimWrapper')


def mixed_precision_cfg(wrapper_cfg: dict, device: str,
                        bf16: bool = False) -> dict:
    """The optim wrapper config that ``tools/train.py --amp`` trains with,
    from ``wrapper_cfg`` (changed in place and returned): fp16 AMP with a
    dynamic loss scale (``AmpOptimWrapper``) on CUDA, bf16 autocast
    (``AutocastOptimWrapper``) elsewhere or where ``bf16`` asks for it. A
    wrapper that is already mixed is kept; a ``dtype`` it names is kept."""
    if wrapper_cfg.get('type', 'OptimWrapper') in MIXED_WRAPPERS:
        return wrapper_cfg
    if device == 'cuda' and not bf16:
        wrapper_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
    else:
        wrapper_cfg.update(type='AutocastOptimWrapper', device_type=device)
        wrapper_cfg.setdefault('dtype', 'bfloat16')
    return wrapper_cfg
