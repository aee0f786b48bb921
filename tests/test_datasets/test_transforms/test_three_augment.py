"""DeiT III's 3-Augment and simple random crop, op by op against the
official augment.py (its three operations written out below as it defines
them, on PIL images with torchvision) with equal seeds."""
import random

import numpy as np
import pytest
import torch
import torchvision.transforms as tv
from PIL import ImageFilter, ImageOps

from photo_images import from_pil, to_pil
from mmdeit.datasets.transforms import (RandomCrop, RandomFlip, ResizeEdge,
                                        ThreeAugment)
from mmdeit.registry import TRANSFORMS


# --- the official operations (facebookresearch/deit, augment.py) -----------


class OfficialGrayScale:

    def __init__(self, p=0.2):
        self.p = p
        self.transf = tv.Grayscale(3)

    def __call__(self, img):
        return self.transf(img) if random.random() < self.p else img


class OfficialSolarization:

    def __init__(self, p=0.2):
        self.p = p

    def __call__(self, img):
        return ImageOps.solarize(img) if random.random() < self.p else img


class OfficialGaussianBlur:

    def __init__(self, p=0.1, radius_min=0.1, radius_max=2.):
        self.prob = p
        self.radius_min = radius_min
        self.radius_max = radius_max

    def __call__(self, img):
        if not random.random() <= self.prob:
            return img
        return img.filter(ImageFilter.GaussianBlur(
            radius=random.uniform(self.radius_min, self.radius_max)))


def official_choice():
    return tv.RandomChoice([OfficialGrayScale(p=1.0),
                            OfficialSolarization(p=1.0),
                            OfficialGaussianBlur(p=1.0)])


def official_secondary(color_jitter=0.3):
    """The official pipeline after crop and flip, before ToTensor."""
    return tv.Compose([official_choice(),
                       tv.ColorJitter(color_jitter, color_jitter,
                                      color_jitter)])


# --- tests ------------------------------------------------------------------


def test_each_operation_equals_the_official_one(photo):
    pil = to_pil(photo)
    ops = ThreeAugment.OPERATIONS
    np.testing.assert_array_equal(ops['grayscale'](photo),
                                  from_pil(OfficialGrayScale(1.0)(pil)))
    np.testing.assert_array_equal(ops['solarize'](photo),
                                  from_pil(OfficialSolarization(1.0)(pil)))
    for seed in range(3):
        random.seed(seed)
        expected = from_pil(OfficialGaussianBlur(1.0)(pil))
        random.seed(seed)
        random.random()  # the official op's p draw, ThreeAugment makes it
        np.testing.assert_array_equal(ops['gaussian_blur'](photo), expected)
    # each changes the image in its own way
    gray = ops['grayscale'](photo)
    assert (gray[..., 0] == gray[..., 2]).all()
    assert not (photo[..., 0] == photo[..., 2]).all()
    assert ops['solarize'](photo).max() <= 255
    assert (ops['solarize'](photo) < 128).all()


@pytest.mark.parametrize('seed', range(12))
def test_same_choices_and_images_as_the_official_code(photo, seed):
    random.seed(seed)
    expected = from_pil(official_choice()(to_pil(photo)))
    random.seed(seed)
    results = ThreeAugment()(dict(img=photo))
    np.testing.assert_array_equal(results['img'], expected)
    # the generator is left where the official code leaves it
    after = random.random()
    random.seed(seed)
    official_choice()(to_pil(photo))
    assert random.random() == after


def test_all_three_operations_are_drawn(photo):
    random.seed(0)
    names = [ThreeAugment()(dict(img=photo))['three_augment']
             for _ in range(300)]
    counts = {name: names.count(name) for name in ThreeAugment.OPERATIONS}
    assert all(70 < count < 130 for count in counts.values()), counts


@pytest.mark.parametrize('seed', range(6))
def test_three_augment_then_jitter_equals_the_official_pipeline(photo, seed):
    """random seeds the choice and blur, torch the colour jitter."""
    random.seed(seed)
    torch.manual_seed(seed)
    expected = from_pil(official_secondary()(to_pil(photo)))
    random.seed(seed)
    torch.manual_seed(seed)
    pipeline = [TRANSFORMS.build(dict(type='ThreeAugment')),
                TRANSFORMS.build(dict(type='ColorJitter', brightness=0.3,
                                      contrast=0.3, saturation=0.3))]
    results = dict(img=photo)
    for transform in pipeline:
        results = transform(results)
    np.testing.assert_array_equal(results['img'], expected)


@pytest.mark.parametrize('seed', range(4))
def test_simple_random_crop_equals_torchvision(photo, seed):
    """--src: Resize(size) bicubic, RandomCrop(size, padding=4,
    padding_mode='reflect'): the crop window and padding exactly, the resize
    through Pillow's kernel as the official code."""
    size = 96
    resized = ResizeEdge(size, edge='short', interpolation='bicubic',
                         backend='pillow')(dict(img=photo))['img']
    pil = tv.Resize(size, interpolation=tv.InterpolationMode.BICUBIC)(
        to_pil(photo))
    np.testing.assert_array_equal(resized, from_pil(pil))
    torch.manual_seed(seed)
    expected = from_pil(tv.RandomCrop(size, padding=4,
                                      padding_mode='reflect')(pil))
    torch.manual_seed(seed)
    out = RandomCrop(size, padding=4,
                     padding_mode='reflect')(dict(img=resized))['img']
    assert out.shape == (size, size, 3)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize('mode', ['constant', 'edge', 'reflect', 'symmetric'])
def test_random_crop_padding_modes_equal_torchvision(photo, mode):
    torch.manual_seed(5)
    expected = from_pil(tv.RandomCrop((150, 200), padding=7,
                                      padding_mode=mode)(to_pil(photo)))
    torch.manual_seed(5)
    out = RandomCrop((150, 200), padding=7,
                     padding_mode=mode)(dict(img=photo))['img']
    np.testing.assert_array_equal(out, expected)


def test_random_crop_errors_name_the_problem(photo):
    with pytest.raises(ValueError, match='padding_mode'):
        RandomCrop(32, padding_mode='wrap')
    with pytest.raises(ValueError, match='resize it first'):
        RandomCrop(400)(dict(img=photo))


def test_flip_is_the_official_flip(photo):
    """The flip of the official pipeline (torchvision's, on a draw below
    0.5) mirrors left and right, as RandomFlip does."""
    random.seed(1)
    results = RandomFlip(prob=1.0)(dict(img=photo))
    np.testing.assert_array_equal(
        results['img'], from_pil(tv.RandomHorizontalFlip(1.0)(
            to_pil(photo))))
