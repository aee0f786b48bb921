"""FLOP counts against the formulas of a DeiT, written out here: inference
through oneDNN's fused linear layers and through autograd's ops alike, and
a training step's forward and backward."""
import pytest
import torch

import mmdeit
from mmdeit.benchmarks.flops import count_flops

BATCH, SIZE, PATCH = 2, 32, 8
C, FFN, HEADS, LAYERS, CLASSES = 64, 128, 2, 2, 10
TINY = dict(backbone=dict(arch=dict(embed_dims=C, num_layers=LAYERS,
                                    num_heads=HEADS,
                                    feedforward_channels=FFN),
                          img_size=SIZE, patch_size=PATCH),
            head=dict(in_channels=C, num_classes=CLASSES))


def deit_flops(distilled: bool) -> dict:
    """FLOPs (2 x multiply-accumulates) of one forward, by part."""
    patches = (SIZE // PATCH)**2
    tokens = patches + (2 if distilled else 1)
    rows = BATCH * tokens
    head_dim = C // HEADS
    return dict(
        patch_embed=2 * BATCH * patches * (3 * PATCH * PATCH) * C,
        linears=LAYERS * 2 * rows * (C * 3 * C + C * C + C * FFN + FFN * C),
        # q k^T and (softmax) v, per head
        attention=LAYERS * 2 * (2 * BATCH * HEADS * tokens * tokens *
                                head_dim),
        head=(2 if distilled else 1) * 2 * BATCH * C * CLASSES)


@pytest.mark.parametrize('distilled', [False, True])
@pytest.mark.parametrize('grad', [False, True])
def test_inference_flops_are_the_formula(distilled, grad):
    name = 'deit-tiny-distilled_pt-4xb256_in1k' if distilled \
        else 'deit-tiny_pt-4xb256_in1k'
    model = mmdeit.get_model(name, **TINY)
    x = torch.randn(BATCH, 3, SIZE, SIZE)
    # without a gradient the linear layers are oneDNN's fused operator
    with torch.set_grad_enabled(grad):
        flops = count_flops(lambda: model(x))
    assert flops == sum(deit_flops(distilled).values())


def test_training_flops_add_the_backward_products():
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', **TINY).train()
    x = torch.randn(BATCH, 3, SIZE, SIZE)
    flops = count_flops(lambda: model(x).square().sum().backward())
    parts = deit_flops(False)
    # a linear layer's backward: the gradients of its input and of its
    # weight, each a product as large as the forward; the patch embedding's
    # input (the images) needs none. Attention's backward recomputes
    # q k^T and takes four products: 5 against the forward's 2.
    expected = (3 * (parts['linears'] + parts['head']) +
                2 * parts['patch_embed'] + (1 + 5 / 2) * parts['attention'])
    assert flops == expected
