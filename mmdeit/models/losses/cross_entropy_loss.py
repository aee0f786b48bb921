"""Cross-entropy that takes class indices (smoothed) or soft targets."""
import torch
import torch.nn.functional as F
from torch import nn

from mmdeit.registry import MODELS
from mmdeit.utils.config_errors import check_number


def soft_target_cross_entropy(logits: torch.Tensor,
                              target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -sum_k target_k * log_softmax(logits)_k.

    Args:
        logits: (N, K) raw scores.
        target: (N, K) probabilities, each row summing to one.
    """
    return torch.sum(-target * F.log_softmax(logits, dim=-1), dim=-1).mean()


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy for hard or soft (mixed) targets.

    Args:
        label_smoothing: epsilon applied to class-index targets: the target
            becomes (1 - eps) * one_hot + eps / K. Soft targets are used as
            given, since Mixup/CutMix already fold the smoothing into them.
        loss_weight: factor on the loss.

    ``forward(logits (N, K), target (N, ) long or (N, K) float)`` -> scalar.
    """

    def __init__(self, label_smoothing: float = 0., loss_weight: float = 1.):
        super().__init__()
        check_number('label_smoothing', label_smoothing, type(self).__name__,
                     0, 1, high_open=True)
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        if target.ndim == logits.ndim:
            loss = soft_target_cross_entropy(logits, target)
        else:
            loss = F.cross_entropy(logits, target,
                                   label_smoothing=self.label_smoothing)
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return (f'label_smoothing={self.label_smoothing}, '
                f'loss_weight={self.loss_weight}')
