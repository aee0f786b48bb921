"""Accuracy of a distilled model per head, of its teacher, and how often
the student agrees with the teacher."""
from typing import Dict, List

import torch

from mmdeit.registry import METRICS
from .accuracy import Accuracy

# Score field of the DataSample -> suffix of the metric names.
SCORE_FIELDS = {
    'pred_score': '',  # both heads averaged, how the model predicts
    'pred_score_cls': '_cls',  # class token only
    'pred_score_dist': '_dist',  # distillation token only
    'pred_score_teacher': '_teacher',
}


@METRICS.register_module()
class DistillationAccuracy(Accuracy):
    """Top-k accuracy of the averaged heads (``accuracy/top1``), the class
    head (``accuracy/top1_cls``), the distillation head
    (``accuracy/top1_dist``) and, when the model has a teacher, the teacher
    (``accuracy/top1_teacher``) and the percentage of images where the
    student's and the teacher's top-1 classes agree
    (``accuracy/teacher_agreement``).

    Reads the score fields that ``DistilledImageClassifier.predict`` writes;
    fields a sample lacks are skipped, so with a one-headed model it reports
    what :class:`Accuracy` does. Arguments as :class:`Accuracy`.
    """

    def scores_of(self, sample: dict) -> Dict[str, torch.Tensor]:
        return {suffix: sample[field]
                for field, suffix in SCORE_FIELDS.items() if field in sample}

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if '_teacher' in results[0]['scores']:
            agree = [result['scores'][''].argmax() ==
                     result['scores']['_teacher'].argmax()
                     for result in results]
            metrics['teacher_agreement'] = \
                100 * torch.tensor(agree).float().mean().item()
        return metrics
