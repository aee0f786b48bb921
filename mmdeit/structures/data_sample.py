"""The per-image record that travels from the dataset to the metric."""
from numbers import Number
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelLike = Union[torch.Tensor, np.ndarray, Sequence[int], int]


def format_label(value: LabelLike) -> torch.Tensor:
    """Turn an int, a sequence of ints, an array or a tensor into a 1-D
    ``torch.long`` tensor of class indices."""
    if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim == 0:
        value = int(value.item())
    if isinstance(value, Number):
        return torch.tensor([int(value)], dtype=torch.long)
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if isinstance(value, torch.Tensor):
        if value.dtype.is_floating_point:
            raise TypeError(f'a label must hold integers, got {value.dtype}')
        return value.flatten().long()
    if isinstance(value, Sequence) and not isinstance(value, str):
        return torch.tensor([int(v) for v in value], dtype=torch.long)
    raise TypeError(f'cannot read a class label from {type(value).__name__}')


def format_score(value: Union[torch.Tensor, np.ndarray, Sequence[float]]
                 ) -> torch.Tensor:
    """Turn a score vector into a 1-D float tensor of shape (num_classes, )."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif not isinstance(value, torch.Tensor):
        value = torch.tensor(value, dtype=torch.float)
    if value.ndim != 1:
        raise ValueError(f'a score must be 1-D, got shape {tuple(value.shape)}')
    return value


class DataSample(BaseDataElement):
    """Ground truth and prediction of one image.

    Fields (all optional):
        gt_label (LongTensor): class indices, shape (k, ).
        gt_score (Tensor): soft target, shape (num_classes, ), e.g. after Mixup.
        pred_label (LongTensor): predicted class, shape (1, ).
        pred_score (Tensor): class probabilities, shape (num_classes, ).
    Meta information (``img_path``, ``ori_shape``, ``img_shape``...) is set by
    the data pipeline.
    """

    def set_gt_label(self, value: LabelLike) -> 'DataSample':
        self.set_field(format_label(value), 'gt_label', dtype=torch.Tensor)
        return self

    def set_gt_score(self, value: torch.Tensor) -> 'DataSample':
        self.set_field(format_score(value), 'gt_score', dtype=torch.Tensor)
        return self

    def set_pred_label(self, value: LabelLike) -> 'DataSample':
        self.set_field(format_label(value), 'pred_label', dtype=torch.Tensor)
        return self

    def set_pred_score(self, value: torch.Tensor) -> 'DataSample':
        self.set_field(format_score(value), 'pred_score', dtype=torch.Tensor)
        return self
