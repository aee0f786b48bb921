"""Multi-head attention from a fused qkv projection, whose bfloat16
training on the CPU is written out as matrix products.

PyTorch's fused CPU attention (flash) is the fastest forward, but its
backward is slow in bfloat16 (slower than in float32): on a Xeon with AMX,
at DeiT-tiny's shapes and batch 32, one layer's forward and backward take
about 45 ms of one core's time in bfloat16 and 38 in float32, against 22 for
the same attention written as two bfloat16 matrix products and a softmax,
whose matrix products run on the AMX units in both directions. So where a
gradient is recorded for a bfloat16 qkv on the CPU without dropout,
:func:`qkv_attention` computes ``softmax(q k^T / sqrt(d)) v`` that way (the
arithmetic of an unfused attention under autocast: products accumulated in
float32, the softmax in float32 and rounded to bfloat16 once); it keeps the
(N, heads, L, L) weights for the backward, 2 bytes a weight. Other CPU
training without dropout (float32) runs the fused kernel forward and
backward, its gradient written straight into the layout of the qkv
projection's output (autograd's unbind and permute backward would stack and
copy it twice more). Everywhere else (inference, GPUs, dropout) it is
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


class _QkvGradientAttention(torch.autograd.Function):
    """The fused CPU kernel, its gradient written into qkv's layout.
    Shapes: qkv (N, L, 3, heads, d) -> (N, heads, L, d)."""

    @staticmethod
    def forward(ctx, qkv):
        out, logsumexp = _flash_forward(*split_qkv(qkv))
        ctx.save_for_backward(qkv, out, logsumexp)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        qkv, out, logsumexp = ctx.saved_tensors
        grads = _flash_backward(grad_out, *split_qkv(qkv), out, logsumexp,
                                0., False)
        grad_qkv = torch.empty_like(qkv)
        for into, grad in zip(split_qkv(grad_qkv), grads):
            into.copy_(grad)
        return grad_qkv


def _cpu_training(qkv: torch.Tensor, dropout_p: float) -> bool:
    return (torch.is_grad_enabled() and qkv.requires_grad
            and qkv.device.type == 'cpu' and dropout_p == 0.
            and not torch.compiler.is_compiling()
            and not torch.jit.is_tracing())


def matmul_attention(qkv: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v as two matrix products and a softmax, in
    qkv's dtype. Shapes: (N, L, 3, heads, d) -> (N, heads, L, d)."""
    q, k, v = split_qkv(qkv)
    with torch.autocast(qkv.device.type, enabled=False):
        scores = (q * q.shape[-1]**-0.5) @ k.transpose(-2, -1)
        return scores.softmax(-1) @ v


def qkv_attention(qkv: torch.Tensor, dropout_p: float = 0.) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v of the heads of a fused projection:
    (N, L, 3, heads, d) -> (N, heads, L, d), as
    ``F.scaled_dot_product_attention`` (in bfloat16 under a CPU bfloat16
    autocast, as there)."""
    if qkv.device.type == 'cpu' and torch.is_autocast_enabled('cpu') \
            and torch.get_autocast_dtype('cpu') == torch.bfloat16:
        qkv = qkv.to(torch.bfloat16)
    if _cpu_training(qkv, dropout_p):
        if qkv.dtype == torch.bfloat16:
            return matmul_attention(qkv)
        return _QkvGradientAttention.apply(qkv)
    return F.scaled_dot_product_attention(*split_qkv(qkv),
                                          dropout_p=dropout_p)
