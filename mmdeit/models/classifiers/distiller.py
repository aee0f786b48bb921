"""A DeiT student trained against a frozen teacher (the paper's
distillation token)."""
import contextlib
import logging
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.utils import to_2tuple
from torch import nn

from mmdeit.checkpoint import DownloadError
from mmdeit.registry import MODELS
from mmdeit.structures import DataSample
from ..heads import stack_targets
from ..zoo import get_model, load_config
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
        source: where it came from (config, checkpoint and, when set, input
            size), for the record in the student's checkpoints.
        autocast_dtype: 'bfloat16' or 'float16' to run it under autocast;
            None runs it in the surrounding precision.
        input_size: the image size (int or (H, W)) the teacher was trained
            at: batches of another size are resized for it (bicubic,
            antialiased when shrinking, as Pillow resizes). None feeds it
            the student's batch as it is.
    """

    def __init__(self, model: nn.Module, source: dict,
                 autocast_dtype: Optional[str] = None,
                 input_size: Union[int, Tuple[int, int], None] = None):
        self.model = model.eval().requires_grad_(False)
        self.source = source
        self.input_size = None if input_size is None else \
            tuple(to_2tuple(input_size))
        self.autocast_dtype = None if autocast_dtype is None else \
            getattr(torch, autocast_dtype)
        if autocast_dtype is not None and self.autocast_dtype not in (
                torch.bfloat16, torch.float16):
            raise ValueError('teacher autocast_dtype must be "bfloat16" or '
                             f'"float16", got {autocast_dtype!r}')

    @torch.no_grad()
    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised images (N, 3, H, W) -> float32 logits (N, K)."""
        inputs = self.resize(inputs)
        context = contextlib.nullcontext() if self.autocast_dtype is None \
            else torch.autocast(inputs.device.type, dtype=self.autocast_dtype)
        with context:
            logits = self.model(inputs)
        return logits.float()

    def resize(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 3, *input_size), unchanged when no size is
        set or it already fits."""
        if self.input_size is None or \
                tuple(inputs.shape[-2:]) == self.input_size:
            return inputs
        return F.interpolate(inputs, size=self.input_size, mode='bicubic',
                             align_corners=False, antialias=True)

    @property
    def num_classes(self) -> Optional[int]:
        """The classes its head predicts, when it says (``head.num_classes``
        of mmdeit's classifiers)."""
        return getattr(getattr(self.model, 'head', None), 'num_classes', None)

    def __deepcopy__(self, memo) -> 'Teacher':
        # A copy of the student (e.g. the EMA model) shares the frozen
        # teacher instead of holding a second copy of its weights.
        return self


def build_teacher(teacher: Union[dict, nn.Module],
                  num_classes: Optional[int] = None) -> Teacher:
    """A :class:`Teacher` from ``dict(cfg=..., checkpoint=...,
    autocast_dtype=None, input_size=None)`` or from a built module.

    ``cfg`` is a zoo name (``'regnety-16gf_in1k'``), a config file or a
    model dict; ``checkpoint`` a path or URL in any layout mmdeit reads, or
    True for the zoo entry's released weights. The teacher is built and
    loaded with :func:`mmdeit.get_model`. With ``num_classes`` (the
    student's), a teacher whose config or head predicts another number of
    classes is refused before its checkpoint is read.
    """
    if isinstance(teacher, nn.Module):
        built = Teacher(teacher, dict(cfg=type(teacher).__name__,
                                      checkpoint=None))
        check_class_count(built.num_classes, num_classes)
        return built
    teacher = dict(teacher)
    options = {'autocast_dtype', 'input_size'}
    unknown = set(teacher) - {'cfg', 'checkpoint'} - options
    missing = {'cfg', 'checkpoint'} - set(teacher)
    if unknown or missing:
        raise KeyError('model.teacher takes cfg, checkpoint, autocast_dtype '
                       f'and input_size; missing {sorted(missing)}, unknown '
                       f'{sorted(unknown)}')
    cfg = teacher['cfg']
    if isinstance(cfg, dict):
        cfg = Config(dict(model=cfg))
    head = load_config(cfg).model.get('head') or {}
    check_class_count(head.get('num_classes'), num_classes)
    try:
        model = get_model(cfg, pretrained=teacher['checkpoint'] or False)
    except DownloadError as error:
        raise error.naming('model.teacher.checkpoint') from None
    source = dict(cfg=_plain(teacher['cfg']),
                  checkpoint=teacher['checkpoint'])
    if teacher.get('input_size') is not None:
        source['input_size'] = teacher['input_size']
    return Teacher(model, source,
                   **{k: v for k, v in teacher.items() if k in options})


def check_class_count(teacher: Optional[int],
                      student: Optional[int]) -> None:
    """Refuse a teacher that predicts other classes than the student
    (either count None: unknown, not checked)."""
    if teacher is None or student is None or teacher == student:
        return
    raise ValueError(
        f'the teacher predicts {teacher} classes but the student {student}: '
        'the distillation head learns the teacher\'s classes, so the '
        'teacher must be trained on the student\'s. Fine-tune the teacher on '
        'the target data first (tools/train.py with its config and '
        f'head.num_classes={student}), then give that config and checkpoint '
        'as model.teacher; if its checkpoint already predicts '
        f'{student} classes, set head=dict(num_classes={student}) in the '
        'teacher config (model.teacher.cfg)')


def _plain(value):
    return value.to_dict() if isinstance(value, ConfigDict) else value


@MODELS.register_module()
class DistilledImageClassifier(ImageClassifier):
    """A two-headed DeiT student and, optionally, its teacher.

    Args:
        backbone, neck, head, train_cfg, data_preprocessor, init_cfg: as in
            :class:`ImageClassifier`; the head must give both heads'
            logits (``forward_both``, e.g. ``DeiTClsHead``).
        teacher: ``dict(cfg=..., checkpoint=..., autocast_dtype=None,
            input_size=None)`` (see :func:`build_teacher`) or a built
            module; None for no teacher. It receives the student's
            preprocessed (normalised, mixed) batch, so it must expect the
            same normalisation, and predict the student's classes.
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


def normalisation_of(preprocessor: Optional[nn.Module]) -> Optional[dict]:
    """``dict(mean=(...), std=(...), to_rgb=...)`` of a data preprocessor
    (plain numbers, 0-255 scale), or None when it does not normalise."""
    mean = getattr(preprocessor, 'mean', None)
    std = getattr(preprocessor, 'std', None)
    if mean is None or std is None:
        return None
    return dict(mean=tuple(round(v, 4) for v in mean.flatten().tolist()),
                std=tuple(round(v, 4) for v in std.flatten().tolist()),
                to_rgb=bool(getattr(preprocessor, 'to_rgb', False)))


def check_same_normalisation(student: nn.Module,
                             teacher: Optional[nn.Module]) -> None:
    """The teacher is fed the student's normalised batch: refuse a teacher
    whose own preprocessor normalises differently, naming both settings and
    the keys that set them."""
    ours, theirs = normalisation_of(student), normalisation_of(teacher)
    if ours is None or theirs is None or ours == theirs:
        return

    def said(values: dict) -> str:
        return (f"mean={list(values['mean'])}, std={list(values['std'])}, "
                f"to_rgb={values['to_rgb']}")
    raise ValueError(
        'the teacher expects other inputs than the student: it is fed the '
        "student's normalised batch, but its config normalises with "
        f'{said(theirs)} where the student\'s does with {said(ours)}. Make '
        'them equal: data_preprocessor (mean, std, to_rgb) in the teacher\'s '
        "config (model.teacher.cfg) or in the student's config")
