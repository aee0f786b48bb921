"""ONNX export checked with onnxruntime against PyTorch, and the inferencer
running an exported file."""
import numpy as np
import pytest
import torch

import mmdeit
from mmdeit.apis.onnx_model import (OnnxClassifier, export_onnx,
                                    max_abs_diff)

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

TINY = dict(
    backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                            feedforward_channels=64)),
    head=dict(in_channels=32))


def tiny_model(name):
    torch.manual_seed(0)
    model = mmdeit.get_model(name, **TINY)
    # random heads are near zero; larger weights make differences visible
    for param in model.head.parameters():
        param.data.normal_(0, 1)
    return model


@pytest.fixture(scope='module')
def distilled():
    return tiny_model('deit-tiny-distilled_pt-4xb256_in1k')


def test_distilled_model_exports_the_average_and_both_heads(distilled,
                                                            tmp_path):
    path = str(tmp_path / 'distilled.onnx')
    names = export_onnx(distilled, path, dynamic_batch=True, both_heads=True)
    assert names == ['logits', 'cls_logits', 'dist_logits']
    session = OnnxClassifier(path)
    inputs = torch.randn(3, 3, 224, 224)  # traced with 1: the batch is free
    outputs = session.run(inputs)
    with torch.no_grad():
        feats = distilled.extract_feat(inputs)
        cls_logits, dist_logits = distilled.head.forward_both(feats)
    for name, expected in (('cls_logits', cls_logits),
                           ('dist_logits', dist_logits),
                           ('logits', (cls_logits + dist_logits) / 2)):
        assert outputs[name].shape == (3, 1000)
        assert (outputs[name] - expected).abs().max() <= 1e-4, name
    # the two heads differ, so the average is a real choice
    assert (cls_logits - dist_logits).abs().max() > 1
    assert max(max_abs_diff(distilled, session, inputs, True).values()) \
        <= 1e-4


def test_plain_model_parity_and_static_batch(tmp_path):
    model = tiny_model('deit-tiny_pt-4xb256_in1k')
    path = str(tmp_path / 'plain.onnx')
    assert export_onnx(model, path, batch_size=2) == ['logits']
    session = OnnxClassifier(path)
    inputs = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = model(inputs)
    assert (session(inputs) - expected).abs().max() <= 1e-4
    with pytest.raises(Exception, match='(?i)dimension|shape'):
        session(torch.randn(3, 3, 224, 224))
    with pytest.raises(ValueError, match='one head'):
        export_onnx(model, str(tmp_path / 'x.onnx'), both_heads=True)


def test_inferencer_runs_an_onnx_file_like_the_model(distilled, tmp_path):
    path = str(tmp_path / 'distilled.onnx')
    export_onnx(distilled, path, dynamic_batch=True)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (240 + 20 * i, 300, 3), dtype=np.uint8)
              for i in range(3)]
    expected = mmdeit.ImageClassificationInferencer(distilled)(
        images, batch_size=2, show_progress=False)
    # the config (pipeline, normalisation, classes) comes from the file
    got = mmdeit.ImageClassificationInferencer(path)(
        images, batch_size=2, show_progress=False)
    for ours, theirs in zip(got, expected):
        assert ours['pred_label'] == theirs['pred_label']
        assert ours['pred_class'] == theirs['pred_class']
        np.testing.assert_allclose(ours['pred_scores'], theirs['pred_scores'],
                                   atol=1e-5)
    with pytest.raises(ValueError, match='ONNX model'):
        mmdeit.ImageClassificationInferencer(path, device='cuda')
    with pytest.raises(ValueError, match='precision .* ONNX model'):
        mmdeit.ImageClassificationInferencer(path, precision='bf16')


def test_a_file_without_config_needs_one(distilled, tmp_path):
    path = str(tmp_path / 'bare.onnx')
    bare = mmdeit.get_model('deit-tiny-distilled_pt-4xb256_in1k', **TINY)
    del bare.cfg
    export_onnx(bare, path)
    with pytest.raises(ValueError, match='bare.onnx holds no mmdeit config'):
        OnnxClassifier(path)
    assert OnnxClassifier(path, cfg=distilled.cfg).num_classes == 1000
