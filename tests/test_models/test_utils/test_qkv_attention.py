"""Attention from a fused qkv: F.scaled_dot_product_attention's values,
and for bfloat16 training on the CPU the unfused attention that autocast
computes (two bfloat16 matrix products and a softmax), within bfloat16
rounding of float32 arithmetic on the same inputs."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mmdeit
from mmdeit.models.utils.attention import qkv_attention, split_qkv
from mmdeit.structures import DataSample

BF16 = pytest.mark.skipif(
    not torch.backends.mkldnn.is_available()
    or not torch.ops.mkldnn._is_mkldnn_bf16_supported(),
    reason='no native bf16 on this CPU')


def reference(qkv: torch.Tensor) -> torch.Tensor:
    return F.scaled_dot_product_attention(*split_qkv(qkv))


def test_float32_is_sdpa_exactly():
    torch.manual_seed(0)
    qkv = torch.randn(2, 9, 3, 2, 8, requires_grad=True)
    grad_out = torch.randn(2, 2, 9, 8)
    out = qkv_attention(qkv)
    # training: the fused kernel, the gradient written in qkv's layout
    assert out.grad_fn.name() == '_QkvGradientAttentionBackward'
    expected = reference(qkv)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    (grad, ) = torch.autograd.grad(out, qkv, grad_out)
    assert grad.is_contiguous()
    (expected_grad, ) = torch.autograd.grad(expected, qkv, grad_out)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=0)


def unfused_under_autocast(qkv: torch.Tensor) -> torch.Tensor:
    """What an attention written out computes under a CPU bfloat16
    autocast: matrix products in bfloat16, the softmax of bfloat16 scores
    (accumulated in float32, rounded to bfloat16)."""
    q, k, v = split_qkv(qkv)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        weights = (q * q.shape[-1]**-0.5 @ k.transpose(-2, -1)).softmax(-1)
        return weights @ v


@BF16
def test_bf16_training_is_the_unfused_autocast_attention():
    torch.manual_seed(0)
    qkv = (2 * torch.randn(4, 33, 3, 3, 16)).bfloat16().requires_grad_()
    grad_out = torch.randn(4, 3, 33, 16).bfloat16()
    out = qkv_attention(qkv)
    (grad, ) = torch.autograd.grad(out, qkv, grad_out)
    assert grad.dtype == torch.bfloat16 and grad.shape == qkv.shape

    expected = unfused_under_autocast(qkv)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    (expected_grad, ) = torch.autograd.grad(expected, qkv, grad_out)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=0)
    # not the fused kernel, which keeps the scores in float32
    assert not torch.equal(out, reference(qkv.detach()))

    # float32 arithmetic on the same (bf16-valued) inputs: bfloat16 scores
    # cost precision where they are large (here up to about 15), within
    # 3 % of the largest gradient and about twice the mean error of the
    # fused bfloat16 kernel
    qkv32 = qkv.detach().float().requires_grad_()
    (grad32, ) = torch.autograd.grad(reference(qkv32), qkv32,
                                     grad_out.float())
    error = (grad.float() - grad32).abs()
    assert error.max() <= 0.03 * grad32.abs().max()
    (kernel, ) = torch.autograd.grad(reference(qkv), qkv, grad_out)
    assert error.mean() <= 3 * (kernel.float() - grad32).abs().mean()


@BF16
def test_bf16_inference_is_the_fused_kernel():
    torch.manual_seed(0)
    qkv = torch.randn(2, 17, 3, 2, 16).bfloat16().requires_grad_()
    with torch.no_grad():
        out = qkv_attention(qkv)
    torch.testing.assert_close(out, reference(qkv.detach()), rtol=0, atol=0)


@BF16
def test_bf16_training_step_equals_the_unfused_reference(monkeypatch):
    """Forward and backward of a tiny DeiT under bfloat16 autocast, as the
    AutocastOptimWrapper runs them, with the unfused attention against
    F.scaled_dot_product_attention's bfloat16 kernel: the loss and the
    gradients within bfloat16 rounding of each other."""
    tiny = dict(backbone=dict(arch=dict(embed_dims=64, num_layers=2,
                                        num_heads=2, feedforward_channels=128),
                              img_size=32, patch_size=8),
                head=dict(in_channels=64, num_classes=10))

    def step():
        torch.manual_seed(0)
        np.random.seed(0)  # Mixup/CutMix draw with numpy
        model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', **tiny).train()
        data = model.data_preprocessor(dict(
            inputs=torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8),
            data_samples=[DataSample().set_gt_label(i % 10)
                          for i in range(8)]), True)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            loss = model(**data, mode='loss')['loss']
        loss.backward()
        return loss, {name: p.grad for name, p in model.named_parameters()}

    loss, grads = step()
    monkeypatch.setattr(
        'mmdeit.models.utils.attention._cpu_training',
        lambda *args: False)
    expected_loss, expected_grads = step()
    torch.testing.assert_close(loss, expected_loss, rtol=2**-7, atol=0)
    assert grads.keys() == expected_grads.keys()
    # the two passes are not the same arithmetic
    assert any(not torch.equal(grad, expected_grads[name])
               for name, grad in grads.items())
    for name, grad in grads.items():
        reference_grad = expected_grads[name]
        assert reference_grad.abs().max() > 0, name
        error = (grad - reference_grad).abs().max()
        assert error <= 0.05 * reference_grad.abs().max(), name
