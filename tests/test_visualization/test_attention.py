"""The attention weights mmdeit records equal timm's explicit attention
(same weights, fused attention off), and the rollout equals the product of
(A + I) / 2 with normalised rows, written out here."""
import pytest
import torch

from mmdeit.apis import get_model
from mmdeit.visualization import (attention_maps, attention_rollout,
                                  record_attention, token_rows)

timm = pytest.importorskip('timm')

# (timm name, mmdeit config): two layers, 64 px (a 4x4 grid), tiny width.
PAIRS = [('deit_tiny_patch16_224', 'deit-tiny_pt-4xb256_in1k'),
         ('deit_tiny_distilled_patch16_224',
          'deit-tiny-distilled_pt-4xb256_in1k')]
DEPTH, SIZE = 2, 64


def timm_and_mmdeit(timm_name, config, tmp_path):
    torch.manual_seed(0)
    reference = timm.create_model(timm_name, depth=DEPTH,
                                  img_size=SIZE).eval()
    # timm starts the classifier at zero; random heads make logits count.
    for head in (reference.head, getattr(reference, 'head_dist', None)):
        if head is not None:
            torch.nn.init.normal_(head.weight, std=0.02)
    path = tmp_path / 'weights.pth'
    torch.save({'model': reference.state_dict()}, path)
    model = get_model(
        config, pretrained=str(path),
        backbone=dict(arch=dict(embed_dims=192, num_layers=DEPTH,
                                num_heads=3, feedforward_channels=768),
                      img_size=SIZE))
    return reference, model


def timm_attention(reference, images):
    """timm's weights after its explicit softmax, captured on attn_drop."""
    captured = []
    for block in reference.blocks:
        block.attn.fused_attn = False
        block.attn.attn_drop.register_forward_hook(
            lambda module, args, out: captured.append(out.detach()))
    with torch.no_grad():
        logits = reference(images)
    return torch.stack(captured, dim=1), logits


@pytest.mark.parametrize('timm_name,config', PAIRS)
def test_attention_equals_timm_explicit_attention(timm_name, config,
                                                  tmp_path):
    reference, model = timm_and_mmdeit(timm_name, config, tmp_path)
    images = torch.randn(2, 3, SIZE, SIZE)
    expected, expected_logits = timm_attention(reference, images)
    tokens = 16 + model.backbone.num_extra_tokens
    assert expected.shape == (2, DEPTH, 3, tokens, tokens)

    with record_attention(model.backbone) as weights:
        with torch.no_grad():
            logits = model(images)
    recorded = torch.stack([weights[i] for i in range(DEPTH)], dim=1)
    torch.testing.assert_close(recorded, expected, rtol=0, atol=1e-6)
    # the forward pass itself is the usual fused one, unchanged
    torch.testing.assert_close(logits, expected_logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(attention_maps(model.backbone, images),
                               expected, rtol=0, atol=1e-6)


def test_recording_leaves_no_hooks_and_checks_layers(tmp_path):
    _, model = timm_and_mmdeit(*PAIRS[1], tmp_path)
    attns = [layer.attn for layer in model.backbone.layers]
    with record_attention(model.backbone, layers=[-1]) as weights:
        model(torch.randn(1, 3, SIZE, SIZE))
    assert list(weights) == [DEPTH - 1]
    assert all(not attn._forward_hooks for attn in attns)
    with pytest.raises(IndexError, match='layer 5 does not exist'):
        with record_attention(model.backbone, layers=[5]):
            pass
    with pytest.raises(TypeError, match='no transformer layers'):
        with record_attention(torch.nn.Linear(2, 2)):
            pass


def test_rollout_is_the_product_of_averaged_attention_plus_identity():
    torch.manual_seed(1)
    batch, layers, heads, length = 2, 3, 4, 6
    attention = torch.randn(batch, layers, heads, length, length).softmax(-1)
    rollout = attention_rollout(attention)

    for n in range(batch):
        expected = torch.eye(length)
        for layer in range(layers):
            a = sum(attention[n, layer, h] for h in range(heads)) / heads
            a = (a + torch.eye(length)) / 2
            for row in range(length):
                a[row] = a[row] / a[row].sum()
            expected = a @ expected
        torch.testing.assert_close(rollout[n], expected)
    # rows of a product of row-stochastic matrices sum to one
    torch.testing.assert_close(rollout.sum(-1), torch.ones(batch, length))


def test_token_rows_pick_the_extra_tokens_over_the_grid():
    length = 2 + 2 * 3
    attention = torch.arange(length * length, dtype=torch.float).reshape(
        1, length, length)
    rows = token_rows(attention, 2, (2, 3))
    assert rows.shape == (1, 2, 2, 3)
    # distillation token (row 1), patch (1, 0) = token 2 + 3
    assert rows[0, 1, 1, 0] == attention[0, 1, 5]
    with pytest.raises(ValueError, match='does not fit'):
        token_rows(attention, 1, (2, 3))
