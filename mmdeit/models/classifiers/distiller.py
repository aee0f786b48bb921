"""A DeiT student trained against a frozen teacher (the paper's
distillation token)."""
import contextlib
import inspect
import logging
import os.path as osp
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from torch import nn

from mmdeit.checkpoint import DownloadError, is_url
from mmdeit.registry import MODELS
from mmdeit.structures import DataSample
from mmdeit.utils.config_errors import (NOT_SET, ConfigValueError,
                                        check_choice,
                                        check_keys, check_number,
                                        did_you_mean, size_pair)
from ..heads import stack_targets
from ..zoo import get_model, list_models, load_config
from .image import ImageClassifier

# Short names of ``distillation.type`` and the losses they build.
DISTILLATION_TYPES = {'hard': 'HardDistillationLoss',
                      'soft': 'SoftDistillationLoss'}
AUTOCAST_DTYPES = (None, 'bfloat16', 'float16')
TEACHER_KEYS = ('cfg', 'checkpoint', 'autocast_dtype', 'input_size')
OWNER = 'DistilledImageClassifier'


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
        self.input_size = None if input_size is None else size_pair(
            'teacher.input_size', input_size, 'DistilledImageClassifier')
        check_choice('teacher.autocast_dtype', autocast_dtype,
                     AUTOCAST_DTYPES, 'DistilledImageClassifier')
        self.autocast_dtype = None if autocast_dtype is None else \
            getattr(torch, autocast_dtype)

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
    check_keys('teacher', teacher, TEACHER_KEYS, OWNER, teacher)
    for key in ('cfg', 'checkpoint'):
        if key not in teacher:
            raise ConfigValueError(f'teacher.{key}', NOT_SET, 'must be set: '
                                   'the teacher needs a cfg and a checkpoint '
                                   '(None for random weights)', OWNER)
    cfg = _teacher_config(teacher['cfg'])
    head = cfg.model.get('head') or {}
    if isinstance(teacher['cfg'], dict):
        check_class_count(head.get('num_classes'), num_classes,
                          'teacher.cfg.head.num_classes')
    else:
        check_class_count(head.get('num_classes'), num_classes,
                          'teacher.cfg', teacher['cfg'])
    checkpoint = teacher['checkpoint']
    if isinstance(checkpoint, str) and not is_url(checkpoint) \
            and not osp.exists(checkpoint):
        raise ConfigValueError(
            'teacher.checkpoint', checkpoint, 'must be an existing file, a '
            'URL, a Hugging Face folder, True (released weights) or None '
            '(random weights)', OWNER)
    try:
        model = get_model(cfg, pretrained=checkpoint or False)
    except DownloadError as error:
        raise error.naming('model.teacher.checkpoint') from None
    except ConfigValueError as error:
        # located in the teacher's config: name it from the student's
        if isinstance(teacher['cfg'], dict):
            raise ConfigValueError(
                'teacher.cfg.' + error.key.split('.', 1)[-1], error.value,
                error.allowed, OWNER) from error
        raise ConfigValueError(
            'teacher.cfg', teacher['cfg'], f'its {error}', OWNER) from error
    source = dict(cfg=_plain(teacher['cfg']),
                  checkpoint=teacher['checkpoint'])
    if teacher.get('input_size') is not None:
        source['input_size'] = teacher['input_size']
    return Teacher(model, source,
                   **{k: v for k, v in teacher.items() if k in options})


def _teacher_config(cfg: Union[str, dict, Config]) -> Config:
    """The teacher's config from a zoo name, a config file or a model
    dict."""
    if isinstance(cfg, dict):
        return Config(dict(model=cfg))
    if isinstance(cfg, str) and not osp.isfile(cfg) \
            and cfg not in list_models():
        raise ConfigValueError(
            'teacher.cfg', cfg, 'must be a zoo name (mmdeit.list_models()), '
            'a config file or a model dict' + did_you_mean(
                cfg, list_models(), cutoff=0.4), OWNER)
    return load_config(cfg)


def check_class_count(teacher: Optional[int], student: Optional[int],
                      key: str = 'teacher', value=NOT_SET) -> None:
    """Refuse a teacher that predicts other classes than the student
    (either count None: unknown, not checked), naming ``key`` (the
    teacher's ``cfg``, or its ``head.num_classes`` when the config holds
    it) and its ``value``."""
    if teacher is None or student is None or teacher == student:
        return
    raise ConfigValueError(
        key, teacher if value is NOT_SET else value,
        f'the teacher predicts {teacher} classes but the student {student}: '
        'the distillation head learns the teacher\'s classes, so the '
        'teacher must be trained on the student\'s. Fine-tune the teacher on '
        'the target data first (tools/train.py with its config and '
        f'head.num_classes={student}), then give that config and checkpoint '
        'as model.teacher; if its checkpoint already predicts '
        f'{student} classes, set head=dict(num_classes={student}) in the '
        'teacher config (model.teacher.cfg)', OWNER)


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
