"""Antialiased resizing (the DeiT training crop and evaluation resize)
against Pillow, on a real photo: matplotlib's sample ``grace_hopper.jpg``
(512 x 600)."""
import random

import numpy as np
import pytest
import torch
import torchvision.transforms as tv
from matplotlib import cbook
from mmengine.config import Config
from PIL import Image
from timm.data.transforms import RandomResizedCropAndInterpolation

from photo_images import from_pil
from mmdeit.datasets.transforms import RandomResizedCrop, ResizeEdge
from mmdeit.datasets.transforms import functional as F
from mmdeit.registry import TRANSFORMS

# (top, left, height, width): shrinks by 1.3x to 2.7x, one enlargement.
BOXES = [(0, 0, 600, 512), (10, 20, 400, 300), (5, 7, 333, 417),
         (150, 100, 240, 260), (200, 180, 150, 120)]


@pytest.fixture(scope='module')
def hopper() -> Image.Image:
    with Image.open(cbook.get_sample_data('grace_hopper.jpg')) as img:
        return img.convert('RGB')


def pillow_crop(pil, box, size=(224, 224)):
    """What torchvision's resized_crop does on a PIL image: crop, then
    Image.resize(BICUBIC). ``size`` is (h, w)."""
    top, left, height, width = box
    out = pil.crop((left, top, left + width, top + height))
    return from_pil(out.resize(size[::-1], Image.BICUBIC)).astype(int)


def crop_with(backend, bgr, box, size=(224, 224)):
    transform = RandomResizedCrop(size, backend=backend)
    transform.sample_crop = lambda h, w: box
    return transform(dict(img=bgr))['img'].astype(int)


@pytest.mark.parametrize('box', BOXES)
def test_crop_resize_backends_against_pillow(hopper, box):
    """'pillow' is Pillow's resize exactly, 'torch' within half a grey level
    on average; cv2's unfiltered bicubic is not, wherever the crop shrinks
    by 1.5x or more."""
    bgr = from_pil(hopper)
    expected = pillow_crop(hopper, box)
    np.testing.assert_array_equal(crop_with('pillow', bgr, box), expected)
    diff = np.abs(crop_with('torch', bgr, box) - expected)
    assert diff.mean() <= 0.5 and np.percentile(diff, 99) <= 3
    shrink = min(box[2], box[3]) / 224
    if shrink >= 1.5:
        assert np.abs(crop_with('cv2', bgr, box) - expected).mean() > 1.0


@pytest.mark.parametrize('config', ['imagenet_bs64_deit_224.py',
                                    'imagenet_bs32_deit_384.py'])
def test_deit_training_crop_is_pillows(hopper, config):
    """The DeiT configs' RandomResizedCrop against timm's (the official
    pipeline's) with the same seeds: the same boxes, resized as Pillow does
    (within half a grey level on average over many crops)."""
    cfg = Config.fromfile(f'configs/_base_/datasets/{config}')
    step = next(t for t in cfg.train_pipeline
                if t['type'] == 'RandomResizedCrop')
    ours = TRANSFORMS.build(step)
    size = ours.scale
    timm = RandomResizedCropAndInterpolation(size, interpolation='bicubic')
    bgr = from_pil(hopper)
    diffs = []
    for seed in range(6):
        random.seed(seed)
        expected = from_pil(timm(hopper)).astype(int)
        random.seed(seed)
        diffs.append(np.abs(ours(dict(img=bgr))['img'] - expected).mean())
    assert max(diffs) <= 0.5


@pytest.mark.parametrize('config', ['imagenet_bs64_deit_224.py',
                                    'imagenet_bs32_deit_384.py'])
def test_deit_evaluation_resize_is_pillows(hopper, config):
    """Resize(int(size / 0.875)) + CenterCrop of the configs against
    torchvision's on the PIL image: within half a grey level on average."""
    cfg = Config.fromfile(f'configs/_base_/datasets/{config}')
    steps = {t['type']: t for t in cfg.test_pipeline}
    resize = TRANSFORMS.build(steps['ResizeEdge'])
    crop = TRANSFORMS.build(steps['CenterCrop'])
    size = crop.crop_size[0]
    expected = tv.Compose([
        tv.Resize(resize.scale, tv.InterpolationMode.BICUBIC),
        tv.CenterCrop(size)])(hopper)
    out = crop(resize(dict(img=from_pil(hopper))))['img']
    diff = np.abs(out.astype(int) - from_pil(expected).astype(int))
    assert out.shape == (size, size, 3)
    assert diff.mean() <= 0.5


def test_torch_backend_grey_and_enlarging(hopper):
    """A (H, W) image keeps its shape; an enlargement is Pillow's bicubic
    (a = -0.5) up to rounding."""
    grey = np.array(hopper.convert('L'))[100:200, 150:260]
    out = F.resize(grey, (150, 160), 'bicubic', 'torch')
    expected = np.asarray(Image.fromarray(grey).resize((160, 150),
                                                       Image.BICUBIC))
    assert out.shape == (150, 160) and out.flags['C_CONTIGUOUS']
    assert np.abs(out.astype(int) - expected).max() <= 1


@pytest.mark.parametrize('interpolation', ['bilinear', 'bicubic'])
def test_torch_backend_is_interpolate_antialiased(hopper, interpolation):
    """The 'torch' backend calls aten's antialiased kernels with ``out=`` (a
    private signature): it must give exactly what the public
    ``interpolate(antialias=True)`` gives, for a crop view too."""
    bgr = from_pil(hopper)[30:430, 40:350]
    out = F.resize(bgr, (224, 200), interpolation, 'torch')
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(np.ascontiguousarray(bgr)).permute(2, 0, 1)[None],
        size=(224, 200), mode=interpolation, antialias=True)
    np.testing.assert_array_equal(out, expected[0].permute(1, 2, 0).numpy())
    assert out.flags['C_CONTIGUOUS'] and out.dtype == np.uint8


def test_resize_edge_torch_backend(hopper):
    bgr = from_pil(hopper)
    out = ResizeEdge(256, backend='torch')(dict(img=bgr))['img']
    expected = from_pil(tv.Resize(256, tv.InterpolationMode.BICUBIC)(hopper))
    assert out.shape == expected.shape == (300, 256, 3)
    assert np.abs(out.astype(int) - expected.astype(int)).mean() <= 0.5


def test_resize_modes_are_checked():
    with pytest.raises(ValueError, match="backend='simd': must be one of"):
        RandomResizedCrop(224, backend='simd')
    with pytest.raises(ValueError, match="interpolation='area': not offered "
                       "by backend 'torch'"):
        RandomResizedCrop(224, interpolation='area', backend='torch')
    with pytest.raises(ValueError, match="'cubic'"):
        ResizeEdge(256, interpolation='cubic')
    assert 'backend=torch' in repr(RandomResizedCrop(224, backend='torch'))
