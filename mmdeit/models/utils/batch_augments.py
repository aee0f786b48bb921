"""Mixup and CutMix on a whole batch, as DeiT trains (timm's ``Mixup`` in
mode 'batch').

Every batch augment is a callable ``(inputs (N, C, H, W) float, scores (N, K)
float) -> (inputs, scores)``: the batch is mixed with its own reverse
(sample i with sample N - 1 - i) by one ratio ``lam`` and the targets become
``lam * scores + (1 - lam) * scores.flip(0)``. Random draws use NumPy's
global generator, which mmengine seeds.
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mmdeit.registry import BATCH_AUGMENTS
from mmdeit.utils.config_errors import ConfigValueError, check_number

Box = Tuple[int, int, int, int]


def smooth_scores(scores: torch.Tensor,
                  label_smoothing: float) -> torch.Tensor:
    """``(1 - eps) * scores + eps / K`` for scores (N, K): a one-hot row gets
    ``1 - eps + eps / K`` on its class and ``eps / K`` elsewhere."""
    if label_smoothing == 0:
        return scores
    num_classes = scores.shape[-1]
    return scores * (1 - label_smoothing) + label_smoothing / num_classes


def _checked_smoothing(label_smoothing: float, owner: str) -> float:
    return check_number('label_smoothing', label_smoothing, owner, 0, 1,
                        high_open=True)


def mix_scores(scores: torch.Tensor, lam: float) -> torch.Tensor:
    """Targets (N, K) mixed with their reverse:
    ``lam * s + (1 - lam) * s.flip(0)``."""
    return scores * lam + scores.flip(0) * (1 - lam)


def cutmix_box(height: int, width: int, lam: float,
               center: Tuple[int, int]) -> Box:
    """The CutMix box ``(y0, y1, x0, x1)`` (end exclusive) of side
    ``int(size * sqrt(1 - lam))`` around ``center`` (cy, cx), clipped to the
    image, so it may cover less than ``1 - lam`` of it."""
    ratio = np.sqrt(1 - lam)
    cut_h, cut_w = int(height * ratio), int(width * ratio)
    cy, cx = center
    y0 = int(np.clip(cy - cut_h // 2, 0, height))
    y1 = int(np.clip(cy + (cut_h + 1) // 2, 0, height))
    x0 = int(np.clip(cx - cut_w // 2, 0, width))
    x1 = int(np.clip(cx + (cut_w + 1) // 2, 0, width))
    return y0, y1, x0, x1


def box_area_lam(height: int, width: int, box: Box) -> float:
    """``1 - area(box) / (H * W)``: the share of each image left unpasted."""
    y0, y1, x0, x1 = box
    return 1. - (y1 - y0) * (x1 - x0) / float(height * width)


@BATCH_AUGMENTS.register_module()
class Mixup:
    """Blend each image with its partner: ``lam * x + (1 - lam) * x[::-1]``.

    Args:
        alpha: ``lam`` is drawn from Beta(alpha, alpha).
        label_smoothing: eps folded into the mixed targets (leave it 0 when
            ``RandomBatchAugment`` applies it).
    """

    def __init__(self, alpha: float = 0.8, label_smoothing: float = 0.):
        self.alpha = check_number('alpha', alpha, type(self).__name__, 0,
                                  low_open=True)
        self.label_smoothing = _checked_smoothing(label_smoothing,
                                                  type(self).__name__)

    def mix(self, inputs: torch.Tensor, scores: torch.Tensor,
            lam: float) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mix with a given ``lam``; inputs (N, C, H, W), scores (N, K)."""
        mixed = inputs * lam + inputs.flip(0) * (1 - lam)
        scores = smooth_scores(mix_scores(scores, lam), self.label_smoothing)
        return mixed, scores

    def __call__(self, inputs: torch.Tensor, scores: torch.Tensor
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
        lam = float(np.random.beta(self.alpha, self.alpha))
        return self.mix(inputs, scores, lam)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha={self.alpha}, '
                f'label_smoothing={self.label_smoothing})')


@BATCH_AUGMENTS.register_module()
class CutMix:
    """Paste one box of each image's partner into it; ``lam`` is the share of
    the image that stays its own.

    Args:
        alpha: the box covers ``1 - lam`` of the image, lam ~ Beta(alpha,
            alpha), centred uniformly at random (clipped at the borders).
        cutmix_minmax: (min, max) fractions of H and W: instead, draw the box
            sides uniformly in [min * size, max * size) and place it fully
            inside the image; ``alpha`` is then unused.
        correct_lam: set ``lam`` to the area actually left after clipping
            (always so with ``cutmix_minmax``).
        label_smoothing: eps folded into the mixed targets.
    """

    def __init__(self, alpha: float = 1.0,
                 cutmix_minmax: Optional[Sequence[float]] = None,
                 correct_lam: bool = True, label_smoothing: float = 0.):
        owner = type(self).__name__
        self.alpha = check_number('alpha', alpha, owner, 0, low_open=True)
        if cutmix_minmax is not None and (
                len(cutmix_minmax) != 2
                or not 0 < cutmix_minmax[0] <= cutmix_minmax[1] <= 1):
            raise ConfigValueError('cutmix_minmax', cutmix_minmax,
                                   'must be (min, max), 0 < min <= max <= 1',
                                   owner)
        self.cutmix_minmax = cutmix_minmax
        self.correct_lam = correct_lam
        self.label_smoothing = _checked_smoothing(label_smoothing, owner)

    def mix(self, inputs: torch.Tensor, scores: torch.Tensor, box: Box,
            lam: float) -> Tuple[torch.Tensor, torch.Tensor]:
        """Paste ``box`` (y0, y1, x0, x1) of the partners and mix the targets
        (N, K) by ``lam``."""
        y0, y1, x0, x1 = box
        mixed = inputs.clone()
        mixed[..., y0:y1, x0:x1] = inputs.flip(0)[..., y0:y1, x0:x1]
        scores = smooth_scores(mix_scores(scores, lam), self.label_smoothing)
        return mixed, scores

    def draw_box(self, height: int, width: int) -> Tuple[Box, float]:
        """A random box and its ``lam``."""
        if self.cutmix_minmax is not None:
            low, high = self.cutmix_minmax
            cut_h = np.random.randint(int(height * low), int(height * high))
            cut_w = np.random.randint(int(width * low), int(width * high))
            y0 = np.random.randint(0, height - cut_h + 1)
            x0 = np.random.randint(0, width - cut_w + 1)
            box = (int(y0), int(y0 + cut_h), int(x0), int(x0 + cut_w))
            return box, box_area_lam(height, width, box)
        lam = float(np.random.beta(self.alpha, self.alpha))
        center = np.random.randint(0, height), np.random.randint(0, width)
        box = cutmix_box(height, width, lam, center)
        if self.correct_lam:
            lam = box_area_lam(height, width, box)
        return box, lam

    def __call__(self, inputs: torch.Tensor, scores: torch.Tensor
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
        box, lam = self.draw_box(*inputs.shape[-2:])
        return self.mix(inputs, scores, box, lam)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alpha={self.alpha}, '
                f'cutmix_minmax={self.cutmix_minmax}, '
                f'correct_lam={self.correct_lam}, '
                f'label_smoothing={self.label_smoothing})')


@BATCH_AUGMENTS.register_module()
class RandomBatchAugment:
    """Apply one of several batch augments, chosen at random per batch, then
    label smoothing.

    Args:
        augments: configs (or callables) of the augments, e.g. ``[dict(
            type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]``.
        probs: probability of each augment; the rest up to 1 leaves the batch
            unmixed. Default: uniform, summing to 1 (DeiT: switch prob 0.5).
        label_smoothing: eps applied to every batch's targets, mixed or not
            (DeiT: 0.1), since the loss uses soft targets as given.

    ``(inputs (N, C, H, W), scores (N, K)) -> (inputs, scores)``.
    """

    def __init__(self, augments: Union[dict, Sequence[Union[dict, object]]],
                 probs: Optional[Sequence[float]] = None,
                 label_smoothing: float = 0.):
        if isinstance(augments, dict):
            augments = [augments]
        self.augments: List = [
            BATCH_AUGMENTS.build(aug) if isinstance(aug, dict) else aug
            for aug in augments]
        owner = type(self).__name__
        if not self.augments:
            raise ConfigValueError('augments', augments,
                                   'must hold at least one augment', owner)
        if label_smoothing and any(
                getattr(aug, 'label_smoothing', 0) for aug in self.augments):
            raise ConfigValueError(
                'label_smoothing', label_smoothing, 'must be 0 when an '
                'augment sets its own label_smoothing: set it once', owner)
        if probs is None:
            probs = [1. / len(self.augments)] * len(self.augments)
        if len(probs) != len(self.augments):
            raise ConfigValueError(
                'probs', probs, 'must hold one per augment '
                f'({len(self.augments)})', owner)
        if min(probs) < 0 or sum(probs) > 1 + 1e-6:
            raise ConfigValueError('probs', probs,
                                   'must be >= 0 and sum to <= 1', owner)
        self.probs = list(probs)
        self.label_smoothing = _checked_smoothing(label_smoothing, owner)

    def __call__(self, inputs: torch.Tensor, scores: torch.Tensor
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
        # The last choice, with the probability left over, is "no augment".
        p = np.array(self.probs + [max(0., 1 - sum(self.probs))])
        choice = np.random.choice(len(p), p=p / p.sum())
        if choice < len(self.augments):
            inputs, scores = self.augments[choice](inputs, scores)
        return inputs, smooth_scores(scores, self.label_smoothing)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(augments={self.augments}, '
                f'probs={self.probs}, '
                f'label_smoothing={self.label_smoothing})')
