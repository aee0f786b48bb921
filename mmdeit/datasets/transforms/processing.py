"""Geometric and colour transforms of the DeiT recipe, on uint8 BGR images.

Random parameters are drawn from Python's ``random`` in the same order as
timm draws them, so that equal seeds give equal crops and erased boxes (the
tests rely on it). mmengine seeds ``random`` in every dataloader worker.
"""
import math
import random
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmdeit.registry import TRANSFORMS
from mmdeit.utils.config_errors import (ConfigValueError, check_choice,
                                        check_number, check_positive_int,
                                        size_pair)
from . import functional as F

# ImageNet mean and std on the 0-255 scale, in BGR order.
IMAGENET_BGR_MEAN = (103.53, 116.28, 123.675)
IMAGENET_BGR_STD = (57.375, 57.12, 58.395)


def _range(key: str, value, owner: str, low: float,
           high: Optional[float] = None) -> Tuple[float, float]:
    """A (min, max) pair with low < min <= max (<= high)."""
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in value) and low < value[0] <= value[1] and (
            high is None or value[1] <= high)
    if not ok:
        bound = '' if high is None else f' <= {high:g}'
        raise ConfigValueError(key, value, f'must be (min, max) with '
                               f'{low:g} < min <= max{bound}', owner)
    return tuple(value)


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random area and aspect ratio, then resize it to ``scale``.

    Sampling as in timm/torchvision: up to ``max_attempts`` times, draw the
    area fraction uniformly in ``crop_ratio_range`` and the aspect ratio
    (w / h) log-uniformly in ``aspect_ratio_range``; the first crop that fits
    is placed uniformly. If none fits, take the largest centred crop whose
    aspect ratio is clamped into the range.

    Args:
        scale: output size, int or (h, w).
        crop_ratio_range: range of the crop area over the image area.
        aspect_ratio_range: range of the crop's width over its height.
        max_attempts: draws before the fallback.
        interpolation: 'nearest', 'bilinear', 'bicubic', 'area' or
            'lanczos', as far as ``backend`` offers it.
        backend: how the crop is resized (see
            :func:`~mmdeit.datasets.transforms.functional.resize`): 'cv2'
            (the fastest; it does not low-pass filter when it shrinks),
            'pillow' (Pillow's antialiased resize, as torchvision and the
            official DeiT pipeline) or 'torch' (Pillow's filter with torch's
            SIMD kernel, within a quarter of a grey level of Pillow on
            average and a few times faster than it: what the DeiT configs
            use).

    Required keys: ``img`` (H, W, 3). Modified keys: ``img``, ``img_shape``.
    """

    def __init__(self,
                 scale: Union[int, Sequence[int]],
                 crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10,
                 interpolation: str = 'bicubic',
                 backend: str = 'cv2'):
        owner = type(self).__name__
        self.scale = size_pair('scale', scale, owner)
        self.crop_ratio_range = _range('crop_ratio_range', crop_ratio_range,
                                       owner, 0, 1)
        self.aspect_ratio_range = _range('aspect_ratio_range',
                                         aspect_ratio_range, owner, 0)
        self.max_attempts = max_attempts
        F.check_resize_mode(interpolation, backend, type(self).__name__)
        self.interpolation = interpolation
        self.backend = backend

    def sample_crop(self, height: int,
                    width: int) -> Tuple[int, int, int, int]:
        """Draw a crop of an image of ``height`` x ``width``.

        Returns:
            (top, left, crop_height, crop_width) in pixels.
        """
        area = height * width
        log_ratio = (math.log(self.aspect_ratio_range[0]),
                     math.log(self.aspect_ratio_range[1]))
        for _ in range(self.max_attempts):
            target_area = random.uniform(*self.crop_ratio_range) * area
            aspect_ratio = math.exp(random.uniform(*log_ratio))
            crop_w = int(round(math.sqrt(target_area * aspect_ratio)))
            crop_h = int(round(math.sqrt(target_area / aspect_ratio)))
            if crop_w <= width and crop_h <= height:
                top = random.randint(0, height - crop_h)
                left = random.randint(0, width - crop_w)
                return top, left, crop_h, crop_w
        # Fallback: the whole image, narrowed to the nearest allowed ratio.
        ratio = width / height
        min_ratio, max_ratio = self.aspect_ratio_range
        if ratio < min_ratio:
            crop_w, crop_h = width, int(round(width / min_ratio))
        elif ratio > max_ratio:
            crop_w, crop_h = int(round(height * max_ratio)), height
        else:
            crop_w, crop_h = width, height
        return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, crop_h, crop_w = self.sample_crop(*img.shape[:2])
        # The resize reads the crop as a view, without a copy.
        img = F.resize(img[top:top + crop_h, left:left + crop_w], self.scale,
                       self.interpolation, self.backend)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'crop_ratio_range={self.crop_ratio_range}, '
                f'aspect_ratio_range={self.aspect_ratio_range}, '
                f'interpolation={self.interpolation}, '
                f'backend={self.backend})')


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip with probability ``prob``.

    Args:
        prob: probability of flipping.
        direction: 'horizontal' (left-right) or 'vertical' (up-down).

    Required keys: ``img``. Modified keys: ``img``. Added keys: ``flip``,
    ``flip_direction``.
    """

    _CV2_CODES = {'horizontal': 1, 'vertical': 0}

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal'):
        check_choice('direction', direction, tuple(self._CV2_CODES),
                     type(self).__name__)
        self.prob = check_number('prob', prob, type(self).__name__, 0, 1)
        self.direction = direction

    def transform(self, results: dict) -> dict:
        # timm/torchvision flip when a uniform draw falls below ``prob``.
        flip = random.random() < self.prob
        if flip:
            results['img'] = cv2.flip(results['img'],
                                      self._CV2_CODES[self.direction])
        results['flip'] = flip
        results['flip_direction'] = self.direction if flip else None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'direction={self.direction})')


@TRANSFORMS.register_module()
class ResizeEdge(BaseTransform):
    """Resize so that one edge equals ``scale``, keeping the aspect ratio.

    The other edge is ``int(scale * other / edge)`` (truncated), as in
    torchvision's ``Resize(int)``: with ``edge='short'`` and ``scale=256`` a
    500 x 375 (w x h) image becomes 341 x 256.

    Args:
        scale: target length of the chosen edge.
        edge: 'short', 'long', 'width' or 'height'.
        interpolation: as in :class:`RandomResizedCrop`.
        backend: 'cv2', 'pillow' or 'torch', as in
            :class:`RandomResizedCrop`. Pillow and torch low-pass filter when
            they shrink, as the official DeiT evaluation (torchvision on PIL
            images) does; cv2 does not, which shifts accuracies slightly.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``. Added
    keys: ``scale_factor`` (w, h).
    """

    def __init__(self, scale: int, edge: str = 'short',
                 interpolation: str = 'bicubic', backend: str = 'cv2'):
        check_choice('edge', edge, ('short', 'long', 'width', 'height'),
                     type(self).__name__)
        F.check_resize_mode(interpolation, backend, type(self).__name__)
        self.scale = check_positive_int('scale', scale, type(self).__name__)
        self.edge = edge
        self.interpolation = interpolation
        self.backend = backend

    def output_size(self, height: int, width: int) -> Tuple[int, int]:
        """(h, w) after resizing an image of ``height`` x ``width``."""
        by_width = (self.edge == 'width'
                    or (self.edge == 'short' and width < height)
                    or (self.edge == 'long' and width > height))
        if by_width:
            return int(self.scale * height / width), self.scale
        return self.scale, int(self.scale * width / height)

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        out_h, out_w = self.output_size(height, width)
        if (out_h, out_w) != (height, width):
            img = F.resize(img, (out_h, out_w), self.interpolation,
                           self.backend)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['scale_factor'] = (out_w / width, out_h / height)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'edge={self.edge}, interpolation={self.interpolation}, '
                f'backend={self.backend})')


@TRANSFORMS.register_module()
class CenterCrop(BaseTransform):
    """Crop the centre, placed as torchvision places it: the top-left corner
    is ``round((size - crop) / 2)`` with Python's rounding (halves to even).
    An image smaller than the crop keeps its size along that edge.

    Args:
        crop_size: int or (h, w).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.
    """

    def __init__(self, crop_size: Union[int, Sequence[int]]):
        self.crop_size = size_pair('crop_size', crop_size,
                                   type(self).__name__)

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        crop_h = min(self.crop_size[0], height)
        crop_w = min(self.crop_size[1], width)
        top = int(round((height - crop_h) / 2.0))
        left = int(round((width - crop_w) / 2.0))
        img = img[top:top + crop_h, left:left + crop_w]
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(crop_size={self.crop_size})'


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Pad, then crop a random window, as torchvision's ``RandomCrop``: the
    top-left corner is drawn uniformly from torch's generator (rows, then
    columns), so that equal seeds give equal crops.

    DeiT III's "simple random crop" (``--src``, its ImageNet-21k recipe)
    resizes the short side to the crop size, then takes
    ``RandomCrop(size, padding=4, padding_mode='reflect')``.

    Args:
        crop_size: int or (h, w).
        padding: pixels added on every side before cropping (0: none).
        padding_mode: 'constant' (``pad_val``), 'edge' (repeat the border),
            'reflect' (mirror without repeating the border) or 'symmetric'
            (mirror repeating it), as torchvision names them.
        pad_val: the value of 'constant' padding.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.
    """

    _BORDERS = {
        'constant': cv2.BORDER_CONSTANT,
        'edge': cv2.BORDER_REPLICATE,
        'reflect': cv2.BORDER_REFLECT_101,
        'symmetric': cv2.BORDER_REFLECT,
    }

    def __init__(self, crop_size: Union[int, Sequence[int]], padding: int = 0,
                 padding_mode: str = 'constant', pad_val: int = 0):
        owner = type(self).__name__
        check_choice('padding_mode', padding_mode, sorted(self._BORDERS),
                     owner)
        check_positive_int('padding', padding, owner, minimum=0)
        self.crop_size = size_pair('crop_size', crop_size, owner)
        self.padding = padding
        self.padding_mode = padding_mode
        self.pad_val = pad_val

    def transform(self, results: dict) -> dict:
        img = results['img']
        if self.padding:
            img = cv2.copyMakeBorder(
                img, *(self.padding, ) * 4, self._BORDERS[self.padding_mode],
                value=(self.pad_val, ) * 4)
        height, width = img.shape[:2]
        crop_h, crop_w = self.crop_size
        if height < crop_h or width < crop_w:
            raise ValueError(
                f'RandomCrop of {self.crop_size} from an image of '
                f'{(height, width)} after padding: resize it first')
        if (height, width) != (crop_h, crop_w):  # torchvision draws nothing
            top = int(torch.randint(0, height - crop_h + 1, size=(1, )))
            left = int(torch.randint(0, width - crop_w + 1, size=(1, )))
            img = img[top:top + crop_h, left:left + crop_w]
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'padding={self.padding}, padding_mode={self.padding_mode})')


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Random brightness, contrast and saturation, as torchvision's
    ``ColorJitter`` on PIL images (hue is not supported): each factor is drawn
    uniformly in [max(0, 1 - x), 1 + x] and the three adjustments run in a
    random order, with Pillow's ``ImageEnhance`` arithmetic. The draws are
    torchvision's, from torch's generator (a permutation of the four
    adjustments, then one factor per enabled one), so that equal seeds give
    equal images.

    DeiT passes ``color_jitter=0.4`` to timm, but timm drops colour jitter
    whenever RandAugment is on, so the DeiT recipe does not use this
    transform; DeiT III's 3-Augment ends with it (0.3 each).

    Args:
        brightness: strength of the brightness change (0 disables it).
        contrast: strength of the contrast change (0 disables it).
        saturation: strength of the saturation change (0 disables it).

    Required keys: ``img``. Modified keys: ``img``.
    """

    def __init__(self, brightness: float = 0., contrast: float = 0.,
                 saturation: float = 0.):
        self.ranges = {}
        for name, strength in (('brightness', brightness),
                               ('contrast', contrast),
                               ('saturation', saturation)):
            if strength < 0:
                raise ValueError(f'{name} must be >= 0, got {strength}')
            if strength > 0:
                self.ranges[name] = (max(0., 1. - strength), 1. + strength)

    _ADJUST = {
        'brightness': F.adjust_brightness,
        'contrast': F.adjust_contrast,
        'saturation': F.adjust_color,
    }
    # torchvision's numbering of the adjustments (3, hue, is not supported)
    _ORDER = ('brightness', 'contrast', 'saturation')

    def transform(self, results: dict) -> dict:
        img = results['img']
        order = torch.randperm(4).tolist()
        factors = {name: float(torch.empty(1).uniform_(*self.ranges[name]))
                   for name in self._ORDER if name in self.ranges}
        for index in order:
            name = self._ORDER[index] if index < len(self._ORDER) else None
            if name in factors:
                img = self._ADJUST[name](img, factors[name])
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(ranges={self.ranges})'


@TRANSFORMS.register_module()
class RandomErasing(BaseTransform):
    """Random erasing (Zhong et al. 2020) with timm's sampling, on uint8.

    timm erases the normalised float image: the box is drawn as here and
    filled with N(0, 1) noise ('pixel'), one N(0, 1) colour ('rand') or 0
    ('const'). Our images stay uint8 until the data preprocessor normalises
    them with ``(x - mean) / std``, so the fill is drawn in that space and
    mapped back: ``round(mean + std * z)``, clipped to [0, 255]. After
    normalisation the box holds ``z`` up to the rounding (at most 0.5 / std,
    under 0.01) except where ``z`` lies beyond the uint8 range, which
    saturates (with ImageNet statistics z < -1.8 to -2.1 or z > 2.2 to 2.6
    depending on the channel: 3 to 4% of the draws).
    ``fill_color`` and ``fill_std`` must therefore be the preprocessor's
    mean and std, in BGR order.

    Box: with probability ``erase_prob``, up to 10 times draw the area
    fraction uniformly in [min_area_ratio, max_area_ratio] and the aspect
    ratio (h / w) log-uniformly in ``aspect_range``; the first box strictly
    smaller than the image is placed uniformly and erased.

    Args:
        erase_prob: probability of erasing a box.
        mode: 'pixel', 'rand' or 'const' (see above).
        min_area_ratio: smallest box area over the image area.
        max_area_ratio: largest box area over the image area.
        aspect_range: (min, max) of the box's height over width.
        fill_color: per-channel mean on the 0-255 scale (BGR).
        fill_std: per-channel std on the 0-255 scale (BGR).

    Required keys: ``img`` (H, W, 3) uint8. Modified keys: ``img`` (written
    in place).
    """

    def __init__(self,
                 erase_prob: float = 0.5,
                 mode: str = 'const',
                 min_area_ratio: float = 0.02,
                 max_area_ratio: float = 1 / 3,
                 aspect_range: Tuple[float, float] = (0.3, 1 / 0.3),
                 fill_color: Sequence[float] = IMAGENET_BGR_MEAN,
                 fill_std: Sequence[float] = IMAGENET_BGR_STD):
        if mode not in ('pixel', 'rand', 'const'):
            raise ValueError(f'unknown mode {mode!r}')
        if not 0 < min_area_ratio <= max_area_ratio:
            raise ValueError('need 0 < min_area_ratio <= max_area_ratio')
        self.erase_prob = erase_prob
        self.mode = mode
        self.min_area_ratio = min_area_ratio
        self.max_area_ratio = max_area_ratio
        self.aspect_range = tuple(aspect_range)
        self.fill_color = np.asarray(fill_color, np.float32)
        self.fill_std = np.asarray(fill_std, np.float32)
        # cv2's per-channel scalars have four entries.
        self._fill_color4 = tuple(map(float, self.fill_color)) + (0., )
        self._fill_std4 = tuple(map(float, self.fill_std)) + (0., )

    def sample_box(self, height: int,
                   width: int) -> Optional[Tuple[int, int, int, int]]:
        """Draw the box for an image of ``height`` x ``width``.

        Returns:
            (top, left, box_height, box_width), or None to leave the image.
        """
        if random.random() > self.erase_prob:
            return None
        area = height * width
        log_aspect = (math.log(self.aspect_range[0]),
                      math.log(self.aspect_range[1]))
        for _ in range(10):
            target_area = random.uniform(self.min_area_ratio,
                                         self.max_area_ratio) * area
            aspect = math.exp(random.uniform(*log_aspect))
            box_h = int(round(math.sqrt(target_area * aspect)))
            box_w = int(round(math.sqrt(target_area / aspect)))
            if box_w < width and box_h < height:
                top = random.randint(0, height - box_h)
                left = random.randint(0, width - box_w)
                return top, left, box_h, box_w
        return None

    def sample_noise(self, box_h: int, box_w: int) -> np.ndarray:
        """The fill of a box in normalised units, broadcastable to
        (box_h, box_w, 3): N(0, 1) per value, per channel, or zeros."""
        if self.mode == 'const':
            return np.zeros((1, 1, 3), np.float32)
        shape = (box_h, box_w, 3) if self.mode == 'pixel' else (1, 1, 3)
        # torch's vectorised normals, from a generator seeded by numpy's
        # global state (which mmengine seeds per worker): four times faster
        # than numpy's global generator.
        rng = torch.Generator().manual_seed(int(np.random.randint(2**31)))
        return torch.randn(shape, generator=rng).numpy()

    def fill_values(self, noise: np.ndarray) -> np.ndarray:
        """Map normalised values to uint8: round(mean + std * z), clipped
        (cv2's saturating conversion rounds, in one pass)."""
        noise = np.broadcast_to(noise.astype(np.float32, copy=False),
                                noise.shape[:2] + (3, ))
        return cv2.add(
            cv2.multiply(np.ascontiguousarray(noise), self._fill_std4),
            self._fill_color4, dtype=cv2.CV_8U)

    def transform(self, results: dict) -> dict:
        img = results['img']
        box = self.sample_box(*img.shape[:2])
        if box is None:
            return results
        top, left, box_h, box_w = box
        img[top:top + box_h, left:left + box_w] = self.fill_values(
            self.sample_noise(box_h, box_w))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(erase_prob={self.erase_prob}, '
                f'mode={self.mode}, area_ratio=({self.min_area_ratio}, '
                f'{self.max_area_ratio}), aspect_range={self.aspect_range})')
