"""The Hugging Face export's image processor is written from the config's
test pipeline: transformers' pipeline then predicts what the model's own
evaluation predicts, on real images (photos, and Fashion-MNIST's test
images where the Debian package is installed)."""
import gzip
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest
import torch

import mmdeit
from mmdeit.checkpoint import save_hf
from mmdeit.checkpoint.hf_processor import (PIL_RESAMPLE,
                                            hf_processor_config)
from mmdeit.experiments.hf_agreement import hf_predictions
from mmdeit.visualization import load_batch

transformers = pytest.importorskip('transformers')

PHOTOS = [Path(matplotlib.get_data_path()) / 'sample_data' / name
          for name in ('grace_hopper.jpg', 'Minduka_Present_Blue_Pack.png')]
FASHION_MNIST = Path('/usr/share/datasets/fashion-mnist')
IMAGENET = dict(mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375))
LOAD, PACK = dict(type='LoadImageFromFile'), dict(type='PackInputs')


@pytest.mark.parametrize('pipeline, expected, noted', [
    # DeiT's ImageNet evaluation: the shorter side, bicubic, crop
    ([LOAD, dict(type='ResizeEdge', scale=256, edge='short',
                 interpolation='bicubic', backend='torch'),
      dict(type='CenterCrop', crop_size=224), PACK],
     dict(do_resize=True, size=dict(shortest_edge=256), resample=3,
          do_center_crop=True, crop_size=dict(height=224, width=224)), []),
    # the demo's 28-px images go in as they are
    ([LOAD, PACK], dict(do_resize=False, do_center_crop=False),
     ['neither crops nor resizes']),
    ([LOAD, dict(type='ResizeEdge', scale=36, interpolation='bilinear'),
      dict(type='CenterCrop', crop_size=(32, 32)), PACK],
     dict(size=dict(shortest_edge=36), resample=PIL_RESAMPLE['bilinear']),
     ['resizes with cv2']),
    ([LOAD, dict(type='ResizeEdge', scale=36, edge='long', backend='torch'),
      dict(type='CenterCrop', crop_size=32), PACK],
     dict(do_resize=False), ["edge='long'"]),
    ([LOAD, dict(type='Resize', scale=(40, 30)),
      dict(type='CenterCrop', crop_size=28), PACK],
     dict(do_resize=True, size=dict(height=30, width=40)),
     ['resizes with cv2']),
    ([LOAD, dict(type='ColorJitter', brightness=0.4),
      dict(type='CenterCrop', crop_size=28), PACK],
     dict(do_resize=False), ['ColorJitter of the test pipeline']),
    (None, dict(size=dict(shortest_edge=256), crop_size=dict(
        height=224, width=224)), ['no test pipeline given']),
])
def test_pipeline_translation(pipeline, expected, noted):
    config, notes = hf_processor_config(pipeline, (224, 224), **IMAGENET)
    for key, value in expected.items():
        assert config[key] == value, key
    assert config['image_mean'] == pytest.approx([0.485, 0.456, 0.406],
                                                 abs=1e-4)
    assert len(notes) == len(noted)
    for note, said in zip(notes, noted):
        assert said in note


def test_bgr_model_is_noted():
    _, notes = hf_processor_config([LOAD, PACK], (28, 28), (72.94, ) * 3,
                                   (90.02, ) * 3, to_rgb=False)
    assert any('to_rgb=False' in note for note in notes)


def grey_images(folder: Path, count: int = 40) -> list:
    """28x28 grey PNGs: Fashion-MNIST's first test images where the Debian
    package is installed, and crops of real photos shrunk to 28 px."""
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    source = FASHION_MNIST / 't10k-images-idx3-ubyte.gz'
    if source.is_file():
        data = np.frombuffer(gzip.decompress(source.read_bytes()), np.uint8)
        images += list(data[16:16 + count * 784].reshape(count, 28, 28))
    for photo in PHOTOS:
        grey = cv2.imread(str(photo), cv2.IMREAD_GRAYSCALE)
        h, w = grey.shape
        for k in range(count // 2):
            side = min(h, w) // 2 + k * 3
            top, left = (k * 7) % (h - side), (k * 11) % (w - side)
            images.append(cv2.resize(grey[top:top + side, left:left + side],
                                     (28, 28), interpolation=cv2.INTER_AREA))
    paths = []
    for index, image in enumerate(images):
        path = folder / f'{index:03d}.png'
        cv2.imwrite(str(path), image)
        paths.append(str(path))
    return paths


def hf_pixels(folder: Path, paths: list) -> torch.Tensor:
    from PIL import Image
    processor = transformers.AutoImageProcessor.from_pretrained(folder)
    return processor([Image.open(p) for p in paths],
                     return_tensors='pt')['pixel_values']


def test_demo_student_export_predicts_as_its_evaluation(tmp_path):
    """The hard-distilled demo student (two heads): the exported processor
    feeds the 28-px images as they are, as the demo's test pipeline does
    (it used to resize them to 32 and crop 28)."""
    torch.manual_seed(0)
    model = mmdeit.get_model(
        'deit-p7-w128-hard-distilled_1xb128-8ep_fashion-mnist-10k')
    folder = tmp_path / 'hf'
    save_hf(model, str(folder))
    paths = grey_images(tmp_path / 'images')
    ours = load_batch(model, paths).inputs
    theirs = hf_pixels(folder, paths)
    assert theirs.shape == ours.shape == (len(paths), 3, 28, 28)
    torch.testing.assert_close(theirs, ours, rtol=0, atol=1e-4)

    with torch.no_grad():
        labels = model(ours).argmax(1).tolist()
    assert len(set(labels)) > 1  # not a constant prediction
    assert hf_predictions(str(folder), paths, batch_size=16) == labels


def test_imagenet_export_crops_as_its_evaluation(tmp_path):
    """Photos that are not square: the shorter side to 256 and a centre
    crop, as the test pipeline does (a square resize squashed them)."""
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', backbone=dict(
        arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                  feedforward_channels=64)), head=dict(in_channels=32))
    folder = tmp_path / 'hf'
    save_hf(model, str(folder))
    paths = []
    for photo in PHOTOS:
        image = cv2.imread(str(photo))
        h, w = image.shape[:2]
        for index, (top, bottom, left, right) in enumerate(
                [(0, h, 0, w), (0, h // 2, 0, w), (0, h, 0, w // 2)]):
            path = tmp_path / f'{photo.stem}_{index}.png'
            cv2.imwrite(str(path), image[top:bottom, left:right])
            paths.append(str(path))
    ours = load_batch(model, paths).inputs
    theirs = hf_pixels(folder, paths)
    assert theirs.shape == ours.shape
    # the same crop, by the same antialiased bicubic kernel when
    # transformers resizes with torchvision (equal here); with Pillow it
    # would be within a fraction of a grey level
    difference = (theirs - ours).abs() * 58  # about grey levels
    assert difference.mean() < 0.1 and difference.max() < 2
