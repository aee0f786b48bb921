"""Multi-head attention from a fused qkv projection, whose bfloat16
backward on the CPU runs in float32.

PyTorch's fused CPU attention is fast in bfloat16 forward, but its bfloat16
backward is slower than its float32 one (on a Xeon with AMX, at DeiT-tiny's
shapes and batch 32, 62 ms against 36 ms of one core's time per layer).
Where a gradient is recorded for a bfloat16 qkv on the CPU without dropout,
:func:`qkv_attention` runs the same bfloat16 forward kernel, and a backward
that upcasts the saved qkv, output and log-sum-exp once and runs the
float32 kernel: less time, and gradients closer to float32 arithmetic than
the bfloat16 kernel's. The gradient is written straight into the layout of
the qkv projection's output, which also saves the copies of autograd's
unbind and permute backward. Everywhere else it is
``F.scaled_dot_product_attention``.
"""
import torch
import torch.nn.functional as F

_flash_forward = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
_flash_backward = \
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward


def split_qkv(qkv: torch.Tensor) -> tuple:
    """(N, L, 3, heads, d) -> q, k, v, each (N, heads, L, d) (views)."""
    return qkv.permute(2, 0, 3, 1, 4).unbind(0)


class _Float32BackwardAttention(torch.autograd.Function):
    """Forward in qkv's dtype, backward in float32. Shapes: qkv (N, L, 3,
    heads, d) -> (N, heads, L, d)."""

    @staticmethod
    def forward(ctx, qkv):
        out, logsumexp = _flash_forward(*split_qkv(qkv))
        ctx.save_for_backward(qkv, out, logsumexp)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        qkv, out, logsumexp = ctx.saved_tensors
        grads = _flash_backward(grad_out.float(), *split_qkv(qkv.float()),
                                out.float(), logsumexp, 0., False)
        grad_qkv = torch.empty_like(qkv)
        for into, grad in zip(split_qkv(grad_qkv), grads):
            into.copy_(grad)
        return grad_qkv


def _backward_in_float32(qkv: torch.Tensor, dropout_p: float) -> bool:
    return (torch.is_grad_enabled() and qkv.requires_grad
            and qkv.device.type == 'cpu' and qkv.dtype == torch.bfloat16
            and dropout_p == 0. and not torch.compiler.is_compiling()
            and not torch.jit.is_tracing())


def qkv_attention(qkv: torch.Tensor, dropout_p: float = 0.) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v of the heads of a fused projection:
    (N, L, 3, heads, d) -> (N, heads, L, d), as
    ``F.scaled_dot_product_attention`` (in bfloat16 under a CPU bfloat16
    autocast, as there)."""
    if qkv.device.type == 'cpu' and torch.is_autocast_enabled('cpu') \
            and torch.get_autocast_dtype('cpu') == torch.bfloat16:
        qkv = qkv.to(torch.bfloat16)
    if _backward_in_float32(qkv, dropout_p):
        return _Float32BackwardAttention.apply(qkv)
    return F.scaled_dot_product_attention(*split_qkv(qkv),
                                          dropout_p=dropout_p)
