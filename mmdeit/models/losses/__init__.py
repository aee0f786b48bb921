from .cross_entropy_loss import CrossEntropyLoss, soft_target_cross_entropy
from .distillation import (HardDistillationLoss, SoftDistillationLoss,
                           hard_distillation_loss, soft_distillation_loss)

__all__ = [
    'CrossEntropyLoss', 'soft_target_cross_entropy', 'HardDistillationLoss',
    'SoftDistillationLoss', 'hard_distillation_loss', 'soft_distillation_loss'
]
