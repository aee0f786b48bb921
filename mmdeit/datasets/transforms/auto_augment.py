"""RandAugment with timm's operations, magnitudes and sampling.

DeiT trains with timm's ``rand-m9-mstd0.5-inc1``: per image, 2 operations
drawn (with replacement) from the 15 "increasing" ones, each applied with
probability 0.5 at a magnitude drawn from N(9, 0.5^2) and clipped to [0, 10].
Magnitudes live on a 0-10 scale; the tables below turn a magnitude into the
argument of each operation exactly as timm does. The random draws are made
in timm's order from the same generators (numpy's for the choice of
operations, Python's ``random`` for the rest), so with equal seeds this
transform makes the same decisions as timm's.
"""
import math
import random
import re
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmdeit.registry import TRANSFORMS
from . import functional as F

LEVEL_DENOM = 10.0  # a magnitude of 10 is the strongest setting
TRANSLATE_PCT = 0.45  # largest translation, as a fraction of the image size

# timm's ImageNet mean (124, 116, 104) in RGB, here in BGR.
DEIT_PAD_VAL = (104, 116, 124)


def _random_sign(value: float) -> float:
    """Negate with probability 1/2 (one draw of ``random.random``)."""
    return -value if random.random() > 0.5 else value


# --- magnitude -> argument -------------------------------------------------


def _rotate_args(level):  # degrees in [-30, 30]
    return (_random_sign((level / LEVEL_DENOM) * 30.0), )


def _shear_args(level):  # shear factor in [-0.3, 0.3]
    return (_random_sign((level / LEVEL_DENOM) * 0.3), )


def _translate_args(level):  # fraction of the size in [-0.45, 0.45]
    return (_random_sign((level / LEVEL_DENOM) * TRANSLATE_PCT), )


def _enhance_args(level):  # factor in [0.1, 1.9], 1 at level 5
    return ((level / LEVEL_DENOM) * 1.8 + 0.1, )


def _enhance_increasing_args(level):  # factor 1 +- 0.9 level / 10, >= 0.1
    return (max(0.1, 1.0 + _random_sign((level / LEVEL_DENOM) * 0.9)), )


def _posterize_args(level):  # bits kept in [0, 4], fewer at low level
    return (int((level / LEVEL_DENOM) * 4), )


def _posterize_increasing_args(level):  # bits kept in [4, 0]
    return (4 - _posterize_args(level)[0], )


def _solarize_args(level):  # threshold in [0, 256], lower is stronger
    return (min(256, int((level / LEVEL_DENOM) * 256)), )


def _solarize_increasing_args(level):  # threshold in [256, 0]
    return (256 - _solarize_args(level)[0], )


def _solarize_add_args(level):  # addition in [0, 110]
    return (min(128, int((level / LEVEL_DENOM) * 110)), )


# --- operations --------------------------------------------------------------


def _translate_x_rel(img, fraction, fill, interpolation):
    return F.translate_x(img, fraction * img.shape[1], fill, interpolation)


def _translate_y_rel(img, fraction, fill, interpolation):
    return F.translate_y(img, fraction * img.shape[0], fill, interpolation)


class _Op(NamedTuple):
    function: Callable  # (img, *args[, fill, interpolation]) -> img
    level_to_args: Optional[Callable[[float], tuple]]
    geometric: bool = False  # takes fill and interpolation


OPS: Dict[str, _Op] = {
    'AutoContrast': _Op(F.auto_contrast, None),
    'Equalize': _Op(F.equalize, None),
    'Invert': _Op(F.invert, None),
    'Rotate': _Op(F.rotate, _rotate_args, True),
    'Posterize': _Op(F.posterize, _posterize_args),
    'PosterizeIncreasing': _Op(F.posterize, _posterize_increasing_args),
    'Solarize': _Op(F.solarize, _solarize_args),
    'SolarizeIncreasing': _Op(F.solarize, _solarize_increasing_args),
    'SolarizeAdd': _Op(F.solarize_add, _solarize_add_args),
    'Color': _Op(F.adjust_color, _enhance_args),
    'ColorIncreasing': _Op(F.adjust_color, _enhance_increasing_args),
    'Contrast': _Op(F.adjust_contrast, _enhance_args),
    'ContrastIncreasing': _Op(F.adjust_contrast, _enhance_increasing_args),
    'Brightness': _Op(F.adjust_brightness, _enhance_args),
    'BrightnessIncreasing': _Op(F.adjust_brightness,
                                _enhance_increasing_args),
    'Sharpness': _Op(F.adjust_sharpness, _enhance_args),
    'SharpnessIncreasing': _Op(F.adjust_sharpness, _enhance_increasing_args),
    'ShearX': _Op(F.shear_x, _shear_args, True),
    'ShearY': _Op(F.shear_y, _shear_args, True),
    'TranslateXRel': _Op(_translate_x_rel, _translate_args, True),
    'TranslateYRel': _Op(_translate_y_rel, _translate_args, True),
}

# timm's two RandAugment operation sets, in timm's order (the order matters
# for reproducing timm's choices from the same seed).
POLICIES = {
    'timm_default': [
        'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'Posterize',
        'Solarize', 'SolarizeAdd', 'Color', 'Contrast', 'Brightness',
        'Sharpness', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'
    ],
    'timm_increasing': [
        'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing',
        'SolarizeIncreasing', 'SolarizeAdd', 'ColorIncreasing',
        'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing',
        'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'
    ],
}


def parse_timm_spec(spec: str) -> dict:
    """Read a timm RandAugment string into :class:`RandAugment` arguments.

    ``'rand-m9-mstd0.5-inc1'`` gives ``dict(policies='timm_increasing',
    magnitude_level=9, magnitude_std=0.5)``. Fields: ``m`` magnitude, ``n``
    operations per image, ``p`` probability of each, ``mstd`` magnitude std
    (above 100: uniform in [0, m]), ``mmax`` upper clip of the magnitude,
    ``inc`` 1 for the increasing set (default 0, timm's default set).
    """
    fields = spec.split('-')
    if fields[0] != 'rand':
        raise ValueError(f'not a RandAugment spec: {spec!r}')
    args = dict(policies='timm_default')
    for field in fields[1:]:
        match = re.fullmatch(r'([a-z]+)(\d.*)', field)
        if match is None:
            raise ValueError(f'cannot read {field!r} in {spec!r}')
        key, value = match.groups()
        if key == 'm':
            args['magnitude_level'] = int(value)
        elif key == 'n':
            args['num_policies'] = int(value)
        elif key == 'p':
            args['prob'] = float(value)
        elif key == 'mstd':
            std = float(value)
            args['magnitude_std'] = math.inf if std > 100 else std
        elif key == 'mmax':
            args['magnitude_max'] = int(value)
        elif key == 'inc':
            args['policies'] = ('timm_increasing'
                                if int(value) else 'timm_default')
        else:
            raise ValueError(f'unknown field {field!r} in {spec!r}')
    return args


def apply_op(img: np.ndarray,
             name: str,
             magnitude: float,
             pad_val: Sequence[int] = DEIT_PAD_VAL,
             interpolation: Union[str, Sequence[str]] = 'bicubic'
             ) -> np.ndarray:
    """Apply the operation ``name`` at ``magnitude`` (0-10) to a (H, W, 3)
    uint8 BGR image. Draws the random sign of signed operations, then, for
    geometric ones given several interpolations, picks one at random."""
    op = OPS[name]
    args = op.level_to_args(magnitude) if op.level_to_args else ()
    if not op.geometric:
        return op.function(img, *args)
    if not isinstance(interpolation, str):
        interpolation = random.choice(interpolation)
    return op.function(img, *args, pad_val, interpolation)


@TRANSFORMS.register_module()
class RandAugment(BaseTransform):
    """RandAugment as timm implements it (``rand_augment_transform``).

    Defaults are timm's (``rand-m10-n2-p0.5``, magnitude std 0) except for
    the fill colour and interpolation, which are what timm's
    ``create_transform`` sets for DeiT: the ImageNet mean and bicubic.

    Args:
        policies: the operation set, ``'timm_increasing'`` (DeiT's),
            ``'timm_default'``, a list of names from :data:`OPS`, or a timm
            spec string such as ``'rand-m9-mstd0.5-inc1'`` whose fields
            override the arguments below (see :func:`parse_timm_spec`).
        num_policies: operations per image, drawn with replacement.
        magnitude_level: mean magnitude on the 0-10 scale.
        magnitude_std: std of the Gaussian noise on the magnitude, drawn
            for each applied operation; ``math.inf`` draws it uniformly in
            [0, magnitude_level].
        magnitude_max: upper clip of the drawn magnitude (lower clip 0).
        prob: probability of applying each drawn operation.
        pad_val: fill colour of geometric operations, in the image's (BGR)
            channel order.
        interpolation: 'nearest', 'bilinear' or 'bicubic' for geometric
            operations, or a sequence to choose from at random each time.

    Required keys: ``img`` (H, W, 3) uint8 BGR. Modified keys: ``img``.
    """

    def __init__(self,
                 policies: Union[str, List[str]] = 'timm_increasing',
                 num_policies: int = 2,
                 magnitude_level: float = 10,
                 magnitude_std: float = 0.,
                 magnitude_max: float = 10,
                 prob: float = 0.5,
                 pad_val: Sequence[int] = DEIT_PAD_VAL,
                 interpolation: Union[str, Sequence[str]] = 'bicubic'):
        if isinstance(policies, str) and policies.startswith('rand'):
            spec = parse_timm_spec(policies)
            policies = spec.pop('policies')
            num_policies = spec.get('num_policies', num_policies)
            magnitude_level = spec.get('magnitude_level', magnitude_level)
            magnitude_std = spec.get('magnitude_std', magnitude_std)
            magnitude_max = spec.get('magnitude_max', magnitude_max)
            prob = spec.get('prob', prob)
        if isinstance(policies, str):
            if policies not in POLICIES:
                raise ValueError(f'unknown policies {policies!r}; expected '
                                 f'one of {sorted(POLICIES)} or a timm spec')
            policies = POLICIES[policies]
        unknown = [name for name in policies if name not in OPS]
        if unknown:
            raise ValueError(f'unknown operations {unknown}')
        interpolations = [interpolation] if isinstance(interpolation, str) \
            else list(interpolation)
        for mode in interpolations:
            if mode not in F.WARP_INTERPOLATIONS:
                raise ValueError(f'unknown interpolation {mode!r}')
        self.policies = list(policies)
        self.num_policies = num_policies
        self.magnitude_level = magnitude_level
        self.magnitude_std = magnitude_std
        self.magnitude_max = magnitude_max
        self.prob = prob
        self.pad_val = tuple(int(v) for v in pad_val)
        self.interpolation = interpolation if isinstance(interpolation, str) \
            else tuple(interpolation)

    def sample_magnitude(self) -> float:
        """One magnitude: the mean level plus noise, clipped to [0, max]."""
        magnitude = self.magnitude_level
        if self.magnitude_std == math.inf:
            magnitude = random.uniform(0, magnitude)
        elif self.magnitude_std > 0:
            magnitude = random.gauss(magnitude, self.magnitude_std)
        return max(0., min(magnitude, self.magnitude_max))

    def transform(self, results: dict) -> dict:
        img = results['img']
        chosen = np.random.randint(0, len(self.policies), self.num_policies)
        for index in chosen:
            if self.prob < 1.0 and random.random() > self.prob:
                continue
            img = apply_op(img, self.policies[index], self.sample_magnitude(),
                           self.pad_val, self.interpolation)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_policies={self.num_policies}, '
                f'magnitude_level={self.magnitude_level}, '
                f'magnitude_std={self.magnitude_std}, prob={self.prob}, '
                f'policies={self.policies})')
