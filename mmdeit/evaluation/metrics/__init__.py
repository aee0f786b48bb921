from .accuracy import Accuracy, topk_accuracy
from .distillation_accuracy import DistillationAccuracy
from .dump_predictions import (DumpPredictions, read_predictions,
                               stack_predictions)
from .real_accuracy import ReaLAccuracy

__all__ = ['Accuracy', 'topk_accuracy', 'DistillationAccuracy',
           'DumpPredictions', 'read_predictions', 'stack_predictions',
           'ReaLAccuracy']
