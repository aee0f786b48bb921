"""A DeiT student trained against a frozen teacher (the paper's
distillation token)."""
import contextlib
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from torch import nn

from mmdeit.registry import MODELS
from mmdeit.structures import DataSample
from ..heads import stack_targets
from .image import ImageClassifier

# Short names of ``distillation.type`` and the losses they build.
DISTILLATION_TYPES = {'hard': 'HardDistillationLoss',
                      'soft': 'SoftDistillationLoss'}


class Teacher:
    """A frozen model whose logits the student learns from.

    It is deliberately *not* an ``nn.Module`` attribute of the student: its
    parameters are then absent from the student's ``named_parameters()``
    (so never in the optimizer, never synchronised by DDP) and
    ``state_dict()`` (so student checkpoints hold no teacher weights), and
    ``student.train()`` does not reach it: it stays in eval mode. The
    student moves it along in ``_apply`` (``.to()``, ``.cuda()``...).

    Args:
        model: the teacher network; called as ``model(inputs)`` -> logits.
        source: where it came from (config and checkpoint), for the record
            in the student's checkpoints.
        autocast_dtype: 'bfloat16' or 'float16' to run it under autocast;
            None runs it in the surrounding precision.
    """

    def __init__(self, model: nn.Module, source: dict,
                 autocast_dtype: Optional[str] = None):
        self.model = model.eval().requires_grad_(False)
        self.source = source
        self.autocast_dtype = None if autocast_dtype is None else \
            getattr(torch, autocast_dtype)
        if autocast_dtype is not None and self.autocast_dtype not in (
                torch.bfloat16, torch.float16):
            raise ValueError('teacher autocast_dtype must be "bfloat16" or '
                             f'"float16", got {autocast_dtype!r}')

    @torch.no_grad()
    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised images (N, 3, H, W) -> float32 logits (N, K)."""
        context = contextlib.nullcontext() if self.autocast_dtype is None \
            else torch.autocast(inputs.device.type, dtype=self.autocast_dtype)
        with context:
            logits = self.model(inputs)
        return logits.float()

    def __deepcopy__(self, memo) -> 'Teacher':
        # A copy of the student (e.g. the EMA model) shares the frozen
        # teacher instead of holding a second copy of its weights.
        return self


def build_teacher(teacher: Union[dict, nn.Module]) -> Teacher:
    """A :class:`Teacher` from ``dict(cfg=..., checkpoint=...,
    autocast_dtype=None)`` or from a built module.

    ``cfg`` is a zoo name (``'regnety-16gf_in1k'``), a config file or a
    model dict; ``checkpoint`` a path or URL in any layout mmdeit reads, or
    True for the zoo entry's released weights. The teacher is built and
    loaded with :func:`mmdeit.get_model`.
    """
    if isinstance(teacher, nn.Module):
        return Teacher(teacher, dict(cfg=type(teacher).__name__,
                                     checkpoint=None))
    teacher = dict(teacher)
    unknown = set(teacher) - {'cfg', 'checkpoint', 'autocast_dtype'}
    missing = {'cfg', 'checkpoint'} - set(teacher)
    if unknown or missing:
        raise KeyError('model.teacher takes cfg, checkpoint and '
                       f'autocast_dtype; missing {sorted(missing)}, unknown '
                       f'{sorted(unknown)}')
    from mmdeit.apis import get_model
    cfg = teacher['cfg']
    if isinstance(cfg, dict):
        cfg = Config(dict(model=cfg))
    model = get_model(cfg, pretrained=teacher['checkpoint'] or False)
    source = dict(cfg=_plain(teacher['cfg']),
                  checkpoint=teacher['checkpoint'])
    return Teacher(model, source, teacher.get('autocast_dtype'))


def _plain(value):
    return value.to_dict() if isinstance(value, ConfigDict) else value


@MODELS.register_module()
class DistilledImageClassifier(ImageClassifier):
    """A two-headed DeiT student and, optionally, its teacher.

    Args:
        backbone, neck, head, train_cfg, data_preprocessor, init_cfg: as in
            :class:`ImageClassifier`; the head must give both heads'
            logits (``forward_both``, e.g. ``DeiTClsHead``).
        teacher: ``dict(cfg=..., checkpoint=..., autocast_dtype=None)`` (see
            :func:`build_teacher`) or a built module; None for no teacher.
            It receives the student's preprocessed (normalised, mixed)
            batch, so it must expect the same normalisation.
        distillation: ``dict(type='hard'|'soft'|'none', alpha=0.5,
            tau=1.0)``; None means 'none'. ``type`` may also name any
            registered loss taking (student logits, teacher logits); the
            other keys but ``alpha`` go to that loss.

    Training loss: the class head keeps the head's loss against the (mixed,
    smoothed) targets, the distillation head learns from the teacher, and
    ``loss_cls = (1 - alpha) * base``, ``loss_distill = alpha *
    distillation`` (they sum to the total). With 'none' only the class head
    is trained.

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
        else:
            if teacher is None:
                raise ValueError(f'distillation "{kind}" needs a teacher: set '
                                 'model.teacher, or distillation type "none"')
            self.distill_loss = MODELS.build(
                dict(type=DISTILLATION_TYPES.get(kind, kind), **settings))
        self.teacher = None if teacher is None else build_teacher(teacher)
        if self.teacher is not None:
            check_same_normalisation(self.data_preprocessor,
                                     getattr(self.teacher.model,
                                             'data_preprocessor', None))

    def _apply(self, fn, recurse: bool = True):
        super()._apply(fn, recurse)
        if recurse and getattr(self, 'teacher', None) is not None:
            self.teacher.model._apply(fn)
        return self

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
            return dict(loss_cls=base)
        distill = self.distill_loss(dist_logits.float(), self.teacher(inputs))
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


def check_same_normalisation(student: nn.Module,
                             teacher: Optional[nn.Module]) -> None:
    """The teacher is fed the student's normalised batch: refuse a teacher
    whose own preprocessor normalises differently."""
    if teacher is None:
        return
    for name in ('mean', 'std', 'to_rgb'):
        ours, theirs = getattr(student, name, None), getattr(teacher, name,
                                                             None)
        if ours is None or theirs is None:
            continue
        same = torch.equal(ours.cpu(), theirs.cpu()) \
            if isinstance(ours, torch.Tensor) else ours == theirs
        if not same:
            raise ValueError(
                f'the teacher expects other inputs than the student (data '
                f'preprocessor {name}: {theirs} vs {ours}); it would see '
                'the student\'s normalised batch')
