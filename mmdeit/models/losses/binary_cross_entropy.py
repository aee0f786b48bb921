"""Binary cross-entropy over the classes, as DeiT III pre-trains
(``--bce-loss``)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmdeit.registry import MODELS


def binarize_targets(target: torch.Tensor, threshold: float) -> torch.Tensor:
    """1 where ``target > threshold``, else 0, in ``target``'s dtype: after
    Mixup/CutMix without label smoothing, threshold 0 marks both mixed
    classes as present (the official ``targets.gt(0.0)``)."""
    return target.gt(threshold).to(target.dtype)


@MODELS.register_module()
class BinaryCrossEntropyLoss(nn.Module):
    """Mean over the batch and the classes of the binary cross-entropy of
    each logit (``BCEWithLogitsLoss``).

    Args:
        target_threshold: when given, soft targets are binarized first
            (see :func:`binarize_targets`; DeiT III: 0.0); None takes them
            as probabilities.
        loss_weight: factor on the loss.

    ``forward(logits (N, K), target (N, ) long or (N, K) float)`` -> scalar;
    class indices become one-hot rows.
    """

    def __init__(self, target_threshold: Optional[float] = None,
                 loss_weight: float = 1.):
        super().__init__()
        self.target_threshold = target_threshold
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        if target.ndim != logits.ndim:
            target = F.one_hot(target, logits.shape[-1]).to(logits.dtype)
        if self.target_threshold is not None:
            target = binarize_targets(target, self.target_threshold)
        loss = F.binary_cross_entropy_with_logits(logits, target.to(
            logits.dtype))
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'target_threshold={self.target_threshold}, '
                f'loss_weight={self.loss_weight}')
