"""Batch collation, normalisation and batch augments (Mixup/CutMix)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from mmdeit.registry import BATCH_AUGMENTS, MODELS
from mmdeit.structures import DataSample
from mmdeit.utils.config_errors import (NOT_SET, ConfigValueError,
                                        check_positive_int,
                                        describe_interval)


def _check_per_channel(key: str, values, owner: str, positive: bool) -> None:
    """``mean``/``std``: numbers, one per channel (3) or one for all."""
    numbers = isinstance(values, (list, tuple)) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in values)
    if not numbers or len(values) not in (1, 3) or (
            positive and min(values) <= 0):
        kind = describe_interval(0, None, low_open=True).replace(
            'a number', 'numbers') if positive else 'numbers'
        raise ConfigValueError(key, values, f'must hold {kind}, one per '
                               'channel (3) or one for all channels', owner)


@MODELS.register_module()
class ClsDataPreprocessor(BaseDataPreprocessor):
    """Stack images into a float batch, normalise it and, in training, apply
    batch augments to images and targets.

    Args:
        mean: per-channel mean on the 0-255 scale, in the output channel order.
        std: per-channel std on the 0-255 scale.
        to_rgb: swap the channels of 3-channel BGR images (as loaded by
            cv2/mmcv) into RGB.
        pad_size_divisor: pad H and W up to a multiple of this.
        pad_value: value of the padding.
        num_classes: K, needed to turn labels into one-hot targets for batch
            augments.
        batch_augments: config of a batch augment (e.g.
            ``dict(type='RandomBatchAugment', augments=[...])``) or ``None``.
        non_blocking: copy inputs to the device asynchronously (from pinned
            memory on CUDA).

    Input ``data``: dict(inputs=list of (C, H, W) uint8 tensors or a (N, C,
    H, W) tensor, data_samples=list of DataSample). Output: the same dict
    with a float (N, C, H, W) batch; with batch augments in training, every
    sample also carries a soft target ``gt_score`` (K, ).
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 to_rgb: bool = False,
                 pad_size_divisor: int = 1,
                 pad_value: float = 0,
                 num_classes: Optional[int] = None,
                 batch_augments: Optional[dict] = None,
                 non_blocking: bool = False):
        super().__init__(non_blocking)
        owner = type(self).__name__
        if (mean is None) != (std is None):
            raise ConfigValueError('mean' if std is None else 'std', NOT_SET,
                                   'give both mean and std, or neither',
                                   owner)
        if mean is not None:
            _check_per_channel('mean', mean, owner, positive=False)
            _check_per_channel('std', std, owner, positive=True)
        if num_classes is not None:
            check_positive_int('num_classes', num_classes, owner)
        self.normalize = mean is not None
        if self.normalize:
            self.register_buffer(
                'mean', torch.tensor(mean, dtype=torch.float).view(-1, 1, 1),
                False)
            self.register_buffer(
                'std', torch.tensor(std, dtype=torch.float).view(-1, 1, 1),
                False)
        self.to_rgb = to_rgb
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value
        self.num_classes = num_classes
        if batch_augments is not None and num_classes is None:
            raise ConfigValueError(
                'num_classes', NOT_SET, 'must be set for batch_augments '
                '(targets become one-hot)', owner)
        self.batch_augments = BATCH_AUGMENTS.build(batch_augments) \
            if isinstance(batch_augments, dict) else batch_augments

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = self._stack(self.cast_data(data['inputs']))
        data_samples = data.get('data_samples')
        if self.to_rgb and inputs.shape[1] == 3:
            inputs = inputs.flip(1)
        inputs = inputs.float()
        if self.normalize:
            inputs = (inputs - self.mean) / self.std
        if training and self.batch_augments is not None \
                and data_samples is not None:
            inputs, data_samples = self._augment(inputs, data_samples)
        return dict(inputs=inputs, data_samples=data_samples)

    def _stack(self, inputs: Union[torch.Tensor, List[torch.Tensor]]
               ) -> torch.Tensor:
        if isinstance(inputs, torch.Tensor):
            batch = inputs
        else:
            height = max(img.shape[-2] for img in inputs)
            width = max(img.shape[-1] for img in inputs)
            batch = torch.stack([
                F.pad(img, (0, width - img.shape[-1], 0, height - img.shape[-2]),
                      value=self.pad_value) for img in inputs])
        divisor = self.pad_size_divisor
        if divisor > 1:
            pad_h = -batch.shape[-2] % divisor
            pad_w = -batch.shape[-1] % divisor
            batch = F.pad(batch, (0, pad_w, 0, pad_h), value=self.pad_value)
        return batch

    def _augment(self, inputs: torch.Tensor,
                 data_samples: List[DataSample]):
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        scores = F.one_hot(labels, self.num_classes).float()
        inputs, scores = self.batch_augments(inputs, scores)
        for sample, score in zip(data_samples, scores):
            sample.set_gt_score(score)
        return inputs, data_samples
