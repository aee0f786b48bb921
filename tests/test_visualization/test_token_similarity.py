"""Token similarity: the recorded (class, distillation) pairs are the
backbone's own layer outputs, and the cosines are computed from them."""
import pytest
import torch
import torch.nn.functional as F

from mmdeit.apis import get_model
from mmdeit.visualization import (SimilarityTotals, record_tokens,
                                  similarity_figure)

ARCH = dict(embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)


def tiny(config='deit-tiny-distilled_pt-4xb256_in1k'):
    torch.manual_seed(0)
    return get_model(config, backbone=dict(arch=ARCH, img_size=32,
                                           patch_size=8),
                     head=dict(num_classes=5, in_channels=32),
                     data_preprocessor=dict(num_classes=5))


def test_recorded_tokens_are_the_layer_outputs():
    model = tiny()
    images = torch.randn(3, 3, 32, 32)
    with record_tokens(model.backbone) as tokens, torch.no_grad():
        model.backbone(images)
    assert list(tokens) == ['input', 'layer 0', 'layer 1', 'layer 2',
                            'final norm']
    model.backbone.out_type, model.backbone.out_indices = 'raw', (0, 1, 2)
    with torch.no_grad():
        outs = model.backbone(images)
        embedded, _ = model.backbone.embed(images)
    torch.testing.assert_close(tokens['input'], embedded[:, :2])
    torch.testing.assert_close(tokens['layer 1'], outs[1][:, :2])
    # the backbone normalises its last output: that is the 'final norm'
    torch.testing.assert_close(tokens['final norm'], outs[2][:, :2])
    assert not any(layer._forward_hooks for layer in model.backbone.layers)


def test_totals_average_cosines_over_images():
    model = tiny()
    images = torch.randn(4, 3, 32, 32)
    totals = SimilarityTotals()
    totals.add(model, images[:3])
    totals.add(model, images[3:])
    result = totals.result(model)

    with torch.no_grad():
        embedded, _ = model.backbone.embed(images)
        x = embedded
        for layer in model.backbone.layers:
            x = layer(x)
        x = model.backbone.norm(x)
        cls_logits = model.head.fc(x[:, 0])
        dist_logits = model.head.fc_dist(x[:, 1])
    stages = dict(result['stages'])
    assert stages['learnt tokens'] == pytest.approx(F.cosine_similarity(
        model.backbone.cls_token[0, 0], model.backbone.dist_token[0, 0],
        dim=0).item())
    assert stages['final norm'] == pytest.approx(
        F.cosine_similarity(x[:, 0], x[:, 1]).mean().item(), abs=1e-6)
    assert result['heads_cosine'] == pytest.approx(F.cosine_similarity(
        cls_logits.softmax(-1), dist_logits.softmax(-1)).mean().item(),
        abs=1e-6)
    agree = (cls_logits.argmax(-1) == dist_logits.argmax(-1)).float()
    assert result['heads_agreement'] == pytest.approx(100 * agree.mean())
    assert result['images'] == 4
    fig = similarity_figure(result)
    assert len(fig.axes[0].lines[0].get_xdata()) == len(result['stages'])


def test_plain_model_is_refused():
    with pytest.raises(TypeError, match='no distillation token'):
        with record_tokens(tiny('deit-tiny_pt-4xb256_in1k').backbone):
            pass
