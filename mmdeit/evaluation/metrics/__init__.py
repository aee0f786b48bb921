from .accuracy import Accuracy, topk_accuracy
from .distillation_accuracy import DistillationAccuracy

__all__ = ['Accuracy', 'topk_accuracy', 'DistillationAccuracy']
