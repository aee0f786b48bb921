import copy
import functools
import io

import cv2
import numpy as np
import pytest
import torch
from mmengine.utils import ProgressBar
from PIL import Image

import mmdeit
from mmdeit.apis import inference
from mmdeit.datasets.categories import IMAGENET_CATEGORIES

TINY = dict(
    backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                            feedforward_channels=64), patch_size=16),
    head=dict(in_channels=32))


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return mmdeit.get_model('deit-tiny-distilled_pt-4xb256_in1k', **TINY)


def expected_logits(model, image_bgr):
    """The test pipeline written out: short side to 256 (Pillow bicubic),
    centre crop 224, RGB, ImageNet normalisation."""
    h, w = image_bgr.shape[:2]
    size = (int(256 * w / h), 256) if h < w else (256, int(256 * h / w))
    resized = np.asarray(Image.fromarray(image_bgr).resize(
        size, Image.BICUBIC))
    top = (resized.shape[0] - 224) // 2
    left = (resized.shape[1] - 224) // 2
    crop = resized[top:top + 224, left:left + 224, ::-1].astype(np.float32)
    mean = np.array([123.675, 116.28, 103.53], dtype=np.float32)
    std = np.array([58.395, 57.12, 57.375], dtype=np.float32)
    x = torch.from_numpy(((crop - mean) / std).transpose(2, 0, 1).copy())
    with torch.no_grad():
        return model(x[None])[0]


def test_inference_on_a_file_and_an_array(model, tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    path = tmp_path / 'photo.png'
    cv2.imwrite(str(path), image)

    from_file = mmdeit.inference_model(model, str(path))
    from_array = mmdeit.inference_model(model, image)
    logits = expected_logits(model, image)
    probs = torch.softmax(logits, 0)
    label = int(probs.argmax())
    for result in (from_file, from_array):
        assert result['pred_label'] == label
        assert result['pred_class'] == IMAGENET_CATEGORIES[label]
        assert result['pred_score'] == pytest.approx(float(probs[label]),
                                                     abs=1e-3)


def test_inferencer_batches_keep_order(model, tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (240, 260, 3), dtype=np.uint8)
              for _ in range(5)]
    inferencer = mmdeit.ImageClassificationInferencer(model)
    # mmengine's bar, writing where the test can read it
    bar = io.StringIO()
    monkeypatch.setattr(inference, 'ProgressBar',
                        functools.partial(ProgressBar, file=bar))
    batched = inferencer(images, batch_size=2)
    assert '5/5' in bar.getvalue() and '6/5' not in bar.getvalue()
    assert bar.getvalue().endswith('\n')  # the next output starts a line
    shown = bar.getvalue()
    single = [inferencer(img, show_progress=False)[0] for img in images]
    assert bar.getvalue() == shown
    assert [r['pred_label'] for r in batched] == \
        [r['pred_label'] for r in single]
    np.testing.assert_allclose(
        np.stack([r['pred_scores'] for r in batched]),
        np.stack([r['pred_scores'] for r in single]), atol=1e-5)


def test_pred_class_is_always_there(tmp_path):
    """The README's print(result['pred_class'], ...) for a model without
    class names (the label as a string), and with the names its
    checkpoint's meta holds (as training writes them)."""
    image = np.random.default_rng(2).integers(0, 256, (50, 60, 3),
                                              dtype=np.uint8)
    plain = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', **dict(
        TINY, head=dict(TINY['head'], num_classes=10)))
    result = mmdeit.inference_model(plain, image)
    assert result['pred_class'] == str(result['pred_label'])

    classes = tuple(f'kind {i}' for i in range(10))
    path = tmp_path / 'trained.pth'
    torch.save(dict(state_dict=plain.state_dict(),
                    meta=dict(dataset_meta=dict(classes=classes))), path)
    named = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=str(path),
                             **dict(TINY, head=dict(TINY['head'],
                                                    num_classes=10)))
    assert named.dataset_meta == dict(classes=classes)
    result = mmdeit.inference_model(named, image)
    assert result['pred_class'] == classes[result['pred_label']]
@pytest.mark.skipif(not torch.ops.mkldnn._is_mkldnn_bf16_supported(),
                    reason='no native bf16 on this CPU')
def test_inferencer_in_bf16_gives_float32_scores_close_to_fp32(model):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (240, 260, 3), dtype=np.uint8)
              for _ in range(3)]
    expected = inference.ImageClassificationInferencer(model)(
        images, show_progress=False)
    bf16 = inference.ImageClassificationInferencer(copy.deepcopy(model),
                                                   precision='bf16')
    got = bf16(images, show_progress=False)
    assert next(bf16.model.backbone.parameters()).dtype == torch.bfloat16
    for ours, theirs in zip(got, expected):
        assert ours['pred_scores'].dtype == np.float32
        np.testing.assert_allclose(ours['pred_scores'],
                                   theirs['pred_scores'], atol=1e-3)
    with pytest.raises(ValueError, match='precision "half"'):
        inference.ImageClassificationInferencer(model, precision='half')
