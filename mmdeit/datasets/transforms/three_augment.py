"""3-Augment, the data augmentation of DeiT III (the official
``augment.py``): after the crop and flip, one of grayscale, solarization and
Gaussian blur per image, then colour jitter (a separate
:class:`~.processing.ColorJitter`)."""
import random

from mmcv.transforms import BaseTransform

from mmdeit.registry import TRANSFORMS
from . import functional as F

# Gaussian blur radius range (Pillow's radius: the standard deviation)
BLUR_RADIUS = (0.1, 2.0)


def _grayscale(img):
    return F.grayscale(img)


def _solarize(img):
    return F.solarize(img, 128)  # ImageOps.solarize's default threshold


def _gaussian_blur(img):
    return F.gaussian_blur(img, random.uniform(*BLUR_RADIUS))


@TRANSFORMS.register_module()
class ThreeAugment(BaseTransform):
    """Apply one of three operations, chosen uniformly per image:

    - grayscale: the luma (Pillow's weights) in all three channels;
    - solarization: values >= 128 inverted (``ImageOps.solarize``);
    - Gaussian blur of a radius drawn uniformly in [0.1, 2] (Pillow's
      ``ImageFilter.GaussianBlur``).

    The draws come from Python's ``random`` in the official code's order,
    so that equal seeds give the same images as its ``RandomChoice`` of
    ``gray_scale(p=1.0)``, ``Solarization(p=1.0)``, ``GaussianBlur(p=1.0)``:
    the choice (torchvision's ``random.choices``), the draw each of those
    makes to decide whether to act (always, at p=1), then the blur radius.

    Required keys: ``img`` (H, W, 3) uint8. Modified keys: ``img``; added:
    ``three_augment``, the name of the operation applied.
    """

    OPERATIONS = {
        'grayscale': _grayscale,
        'solarize': _solarize,
        'gaussian_blur': _gaussian_blur,
    }

    def transform(self, results: dict) -> dict:
        name = random.choices(list(self.OPERATIONS))[0]
        random.random()  # the official op's "apply with probability p" draw
        results['img'] = self.OPERATIONS[name](results['img'])
        results['three_augment'] = name
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
