"""A DeiT student trained against a frozen teacher (the paper's
distillation token)."""
import logging
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mmdeit.registry import MODELS
from mmdeit.structures import DataSample
from ..heads import stack_targets
from ..teachers import build_teacher, check_class_count
from .image import ImageClassifier

# Short names of ``distillation.type`` and the losses they build.
DISTILLATION_TYPES = {'hard': 'HardDistillationLoss',
                      'soft': 'SoftDistillationLoss'}


@MODELS.register_module()
class DistilledImageClassifier(ImageClassifier):
    """A two-headed DeiT student and, optionally, its teacher.

    Args:
        backbone, neck, head, train_cfg, data_preprocessor, init_cfg: as in
            :class:`ImageClassifier`; the head must give both heads'
            logits (``forward_both``, e.g. ``DeiTClsHead``).
        teacher: ``dict(cfg=..., checkpoint=..., precision='fp32',
            input_size=None)`` (see :class:`mmdeit.models.Teacher`) or a
            built module; None for no teacher. It receives the student's
            preprocessed (normalised, mixed) batch, re-normalised for it
            where its data preprocessor normalises otherwise, and must
            predict the student's classes.
        distillation: ``dict(type='hard'|'soft'|'none', alpha=0.5,
            tau=1.0)``; None means 'none'. ``type`` may also name any
            registered loss taking (student logits, teacher logits); the
            other keys but ``alpha`` go to that loss.

    Training loss: the class head keeps the head's loss against the (mixed,
    smoothed) targets, the distillation head learns from the teacher, and
    ``loss_cls = (1 - alpha) * base``, ``loss_distill = alpha *
    distillation`` (they sum to the total). With 'none' the distillation
    head learns the labels too (the head's loss, as the class head), so
    both heads are trained and averaged at prediction; no teacher is built
    then, even if one is configured.

    Prediction: ``pred_score`` averages the two heads' logits; each sample
    also gets ``pred_score_cls``, ``pred_score_dist`` and, with a teacher,
    ``pred_score_teacher`` (softmax of each), which ``DistillationAccuracy``
    reports.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 teacher: Optional[Union[dict, nn.Module]] = None,
                 distillation: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone, neck, head, train_cfg, data_preprocessor,
                         init_cfg)
        if not hasattr(self.head, 'forward_both'):
            raise TypeError('DistilledImageClassifier needs a head with a '
                            'class and a distillation output (DeiTClsHead), '
                            f'got {type(self.head).__name__}')
        self.distillation = dict(distillation or dict(type='none'))
        settings = dict(self.distillation)
        if 'type' not in settings:
            raise KeyError("model.distillation needs a type: 'hard', 'soft', "
                           "'none' or a registered loss")
        kind = settings.pop('type')
        self.alpha = settings.pop('alpha', 0.5)
        if not 0 <= self.alpha <= 1:
            raise ValueError(f'distillation alpha must be in [0, 1], got '
                             f'{self.alpha}')
        if kind == 'none':
            self.distill_loss = None
            if teacher is not None:
                print_log('distillation "none": both heads learn the labels; '
                          'the teacher in model.teacher is not built (nor '
                          'its checkpoint read)', logger='current',
                          level=logging.WARNING)
                teacher = None
        else:
            if teacher is None:
                raise ValueError(f'distillation "{kind}" needs a teacher: set '
                                 'model.teacher, or distillation type "none"')
            self.distill_loss = MODELS.build(
                dict(type=DISTILLATION_TYPES.get(kind, kind), **settings))
        self.teacher = None if teacher is None else build_teacher(
            teacher, self.head.num_classes)
        if self.teacher is not None:
            self.teacher.adapt_to(self.data_preprocessor)
        ignore_in_ddp(self, 'teacher')

    def distillation_record(self) -> dict:
        """What a checkpoint should record about how it was trained: the
        distillation settings and the teacher's source."""
        record = dict(self.distillation)
        record['teacher'] = None if self.teacher is None else \
            dict(self.teacher.source)
        return record

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        cls_logits, dist_logits = self.head.forward_both(
            self.extract_feat(inputs))
        target = stack_targets(data_samples).to(cls_logits.device)
        base = self.head.loss_module(cls_logits, target)
        if self.distill_loss is None:
            distill = self.head.loss_module(dist_logits, target)
        else:
            teacher_logits = self.teacher(inputs)
            check_class_count(teacher_logits.shape[1], dist_logits.shape[1])
            distill = self.distill_loss(dist_logits.float(), teacher_logits)
        return dict(loss_cls=(1 - self.alpha) * base,
                    loss_distill=self.alpha * distill)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        cls_logits, dist_logits = self.head.forward_both(
            self.extract_feat(inputs))
        samples = self.head.logits_to_samples((cls_logits + dist_logits) / 2,
                                              data_samples)
        per_head = dict(pred_score_cls=cls_logits,
                        pred_score_dist=dist_logits)
        if self.teacher is not None:
            per_head['pred_score_teacher'] = self.teacher(inputs)
        for field, logits in per_head.items():
            scores = F.softmax(logits.float(), dim=1).detach()
            for sample, score in zip(samples, scores):
                sample.set_field(score, field, dtype=torch.Tensor)
        return samples


def ignore_in_ddp(model: nn.Module, child: str) -> None:
    """Name every buffer of ``model.<child>`` to DDP as one it must neither
    broadcast from rank 0 when it wraps ``model`` nor synchronise (the
    frozen teacher: each process loads the same weights). DDP reads the
    list from the module it wraps, ``_ddp_params_and_buffers_to_ignore``,
    set by its static ``_set_params_and_buffers_to_ignore_for_model``."""
    module = getattr(model, child, None)
    names = [] if module is None else [
        f'{child}.{name}' for name, _ in module.named_buffers()]
    DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
        model, names)
