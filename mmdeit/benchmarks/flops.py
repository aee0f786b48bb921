"""FLOPs of the matrix products, convolutions and attention of a run, as
torch's ``FlopCounterMode`` counts them, taught the CPU attention kernels and
oneDNN's fused linear layer (which mmdeit's CPU inference calls)."""
from typing import Callable

import torch
from torch.utils.flop_counter import (FlopCounterMode,
                                     sdpa_backward_flop_count,
                                     sdpa_flop_count)


def _cpu_attention(query, key, value, *args, **kwargs) -> int:
    return sdpa_flop_count(query.shape, key.shape, value.shape)


def _cpu_attention_backward(grad_out, query, key, value, *args,
                            **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out.shape, query.shape, key.shape,
                                    value.shape)


def _onednn_linear(x, *args, **kwargs) -> int:
    """``mkldnn::_linear_pointwise``: x (..., K) @ weight.T (K, N), the
    weight second (``(x, weight, bias, ...)``) or, in the ``binary``
    overload, third (``(x, other, weight, bias, ...)``)."""
    binary = isinstance(args[1], torch.Tensor) and args[1].dim() == 2
    weight = args[1] if binary else args[0]
    return 2 * x.numel() * weight.shape[0]


# torch's counter knows the CUDA attention kernels and aten's products, not
# the CPU attention kernel or oneDNN's operators
_cpu_attention._get_raw = True
_cpu_attention_backward._get_raw = True
_onednn_linear._get_raw = True
CPU_FLOPS = {
    torch.ops.mkldnn._linear_pointwise: _onednn_linear,
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu:
    _cpu_attention,
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward:
    _cpu_attention_backward,
}


def count_flops(run: Callable[[], object]) -> int:
    """FLOPs (2 x multiply-accumulates) of the matrix products, convolutions
    and attention that ``run()`` performs, backward included if it runs one.
    """
    counter = FlopCounterMode(display=False,
                              custom_mapping=CPU_FLOPS)
    with counter:
        run()
    return counter.get_total_flops()
