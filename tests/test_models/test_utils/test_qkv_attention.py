"""Attention from a fused qkv: F.scaled_dot_product_attention's values,
and for bfloat16 training on the CPU a float32 backward whose gradients
match float32 arithmetic on the same inputs."""
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
    out = qkv_attention(qkv)
    expected = reference(qkv)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    grad = torch.autograd.grad(out.sum(), qkv)[0]
    expected_grad = torch.autograd.grad(expected.sum(), qkv)[0]
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=0)


@BF16
def test_bf16_backward_matches_float32_on_the_same_inputs():
    torch.manual_seed(0)
    qkv = (2 * torch.randn(4, 33, 3, 3, 16)).bfloat16().requires_grad_()
    grad_out = torch.randn(4, 3, 33, 16).bfloat16()
    out = qkv_attention(qkv)
    (grad, ) = torch.autograd.grad(out, qkv, grad_out)
    assert out.grad_fn.name() == '_Float32BackwardAttentionBackward'
    assert grad.dtype == torch.bfloat16 and grad.shape == qkv.shape

    # forward: the bfloat16 kernel itself
    torch.testing.assert_close(out, reference(qkv.detach()), rtol=0, atol=0)
    # backward: float32 attention on the same (bf16-valued) inputs; the
    # saved output is the forward's, rounded to bfloat16
    qkv32 = qkv.detach().float().requires_grad_()
    (expected, ) = torch.autograd.grad(reference(qkv32), qkv32,
                                       grad_out.float())
    error = (grad.float() - expected).abs()
    assert error.max() <= 2**-6 * expected.abs().max()
    # on average no further from float32 than the bfloat16 kernel's own
    (bf16_kernel, ) = torch.autograd.grad(reference(qkv), qkv, grad_out)
    assert error.mean() <= (bf16_kernel.float() - expected).abs().mean()


@BF16
def test_bf16_training_step_equals_the_unfused_reference(monkeypatch):
    """Forward and backward of a tiny DeiT under bfloat16 autocast, as the
    AutocastOptimWrapper runs them, with the float32-backward attention
    against F.scaled_dot_product_attention: the same loss, gradients
    within bfloat16 rounding."""
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
    monkeypatch.setattr('mmdeit.models.utils.attention._backward_in_float32',
                        lambda *args: False)
    expected_loss, expected_grads = step()
    torch.testing.assert_close(loss, expected_loss, rtol=0, atol=0)
    assert grads.keys() == expected_grads.keys()
    # the two backward passes are not the same arithmetic
    assert any(not torch.equal(grad, expected_grads[name])
               for name, grad in grads.items())
    for name, grad in grads.items():
        reference_grad = expected_grads[name]
        assert reference_grad.abs().max() > 0, name
        error = (grad - reference_grad).abs().max()
        assert error <= 0.05 * reference_grad.abs().max(), name
