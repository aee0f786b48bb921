from .binary_cross_entropy import BinaryCrossEntropyLoss, binarize_targets
from .cross_entropy_loss import CrossEntropyLoss, soft_target_cross_entropy
from .distillation import (HardDistillationLoss, SoftDistillationLoss,
                           hard_distillation_loss, soft_distillation_loss)

__all__ = [
    'BinaryCrossEntropyLoss', 'binarize_targets',
    'CrossEntropyLoss', 'soft_target_cross_entropy', 'HardDistillationLoss',
    'SoftDistillationLoss', 'hard_distillation_loss', 'soft_distillation_loss'
]
