"""A DeiT student trained against a frozen teacher (the paper's
distillation token)."""
import inspect
import logging
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mmdeit.checkpoint import CheckpointError
from mmdeit.registry import MODELS
from mmdeit.structures import DataSample
from mmdeit.utils.config_errors import (ConfigValueError, check_keys,
                                        check_number, did_you_mean)
from ..heads import stack_targets
from ..teachers import build_teacher, check_class_count
from ..teachers.label_cache import (TeacherLabelCache,
                                    TeacherLabelsUnavailable,
                                    open_label_cache)
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
            predict the student's classes. ``cache='DIR'`` (or
            ``dict(dir='DIR', topk=10)``) records its labels once and
            replays them in later runs of the same batches, without
            building the teacher (see :mod:`mmdeit.models.teachers.
            label_cache`; docs/distillation.md).
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
        owner = type(self).__name__
        if not hasattr(self.head, 'forward_both'):
            raise ConfigValueError(
                'head.type', type(self.head).__name__, 'must be a head with '
                'a distillation output beside the class output (DeiTClsHead)',
                owner)
        if getattr(self.backbone, 'num_extra_tokens', None) != 2:
            raise ConfigValueError(
                'backbone.type', type(self.backbone).__name__, 'must be a '
                'backbone with a distillation token beside the class token '
                '(DistilledVisionTransformer)', owner)
        self.distillation = dict(distillation or dict(type='none'))
        settings = dict(self.distillation)
        kind = settings.pop('type', None)
        self.alpha = check_number('distillation.alpha',
                                  settings.pop('alpha', 0.5), owner, 0, 1)
        loss_type = DISTILLATION_TYPES.get(kind, kind)
        if kind != 'none' and not (isinstance(loss_type, str)
                                   and loss_type in MODELS.module_dict):
            raise ConfigValueError(
                'distillation.type', kind, "must be 'hard', 'soft', 'none' "
                'or a registered loss' + did_you_mean(
                    kind, [*DISTILLATION_TYPES, 'none']), owner)
        if kind != 'none':
            check_keys('distillation', settings, ['type', 'alpha'] + [
                name for name in inspect.signature(
                    MODELS.get(loss_type)).parameters], owner, settings)
        cache = None
        if isinstance(teacher, dict):
            teacher = dict(teacher)
            cache = teacher.pop('cache', None)
        self.teacher_source = _source_of(teacher)
        self.teacher_labels: Optional[TeacherLabelCache] = None
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
            self.distill_loss = MODELS.build(dict(type=loss_type, **settings))
            if cache is not None:
                self.teacher_labels = open_label_cache(
                    cache, teacher, kind, settings, self.head.num_classes)
        self.teacher = self._build_teacher(teacher)
        ignore_in_ddp(self, 'teacher')

    def _build_teacher(self, teacher):
        """The teacher, unless recorded labels cover every epoch of the run
        (then it is neither built nor its checkpoint read)."""
        labels = self.teacher_labels
        if teacher is None:
            return None
        if labels is not None and labels.replays_every_epoch():
            print_log(f'teacher labels of all {labels.epochs} epochs are '
                      f'recorded in {labels.folder}: replaying them, the '
                      'teacher is not built', logger='current')
            return None
        try:
            built = build_teacher(teacher, self.head.num_classes)
        except (OSError, CheckpointError) as error:
            if labels is None:
                raise
            raise TeacherLabelsUnavailable(
                f'{labels.explain()}; and the teacher cannot be loaded to '
                f'compute them: {error}') from error
        if labels is not None:
            print_log(f'{labels.explain()}: running the teacher and '
                      f'recording its labels in {labels.folder}',
                      logger='current')
        built.adapt_to(self.data_preprocessor)
        return built

    def distillation_record(self) -> dict:
        """What a checkpoint should record about how it was trained: the
        distillation settings, the teacher's source and, where its labels
        were recorded, their folder."""
        record = dict(self.distillation)
        record['teacher'] = None if self.distill_loss is None else \
            self.teacher_source
        if self.teacher_labels is not None:
            record['teacher_labels'] = self.teacher_labels.folder
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
            distill = self.distill_loss(dist_logits.float(),
                                        self.teacher_targets(inputs))
        return dict(loss_cls=(1 - self.alpha) * base,
                    loss_distill=self.alpha * distill)

    def teacher_targets(self, inputs: torch.Tensor) -> torch.Tensor:
        """What the distillation loss learns from for the batch ``inputs``:
        the teacher's logits (N, K), or, with a cache, its recorded labels
        (hard: (N,) classes; soft: (N, K) top-k logits), replayed or
        computed and recorded."""
        if self.teacher_labels is not None:
            return self.teacher_labels.targets(inputs, self.teacher)
        logits = self.teacher(inputs)
        check_class_count(logits.shape[1], self.head.num_classes)
        return logits

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


def _source_of(teacher) -> Optional[dict]:
    """Where the teacher comes from, for the record in the student's
    checkpoints: its config, checkpoint and, when set, input size."""
    if teacher is None:
        return None
    if isinstance(teacher, nn.Module):
        return dict(getattr(teacher, 'source', None) or dict(
            cfg=type(teacher).__name__, checkpoint=None))
    source = dict(cfg=_plain(teacher.get('cfg')),
                  checkpoint=teacher.get('checkpoint'))
    if teacher.get('input_size') is not None:
        source['input_size'] = teacher['input_size']
    return source


def _plain(value):
    return value.to_dict() if hasattr(value, 'to_dict') else value


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
