"""The frozen teacher of a distilled student: a module of its own, held by
the student but kept out of its parameters, its checkpoints and DDP."""
import copy
import os.path as osp
import warnings
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import Config, ConfigDict
from mmengine.model import BaseModule
from torch import nn

from mmdeit.checkpoint import DownloadError, is_url
from mmdeit.registry import MODELS
from mmdeit.utils.config_errors import (NOT_SET, ConfigPathError,
                                        ConfigValueError, check_choice,
                                        check_keys, did_you_mean, size_pair)
from mmdeit.utils.seeding import preserved_random_state
from ..zoo import get_model, list_models, load_config
from .frozen import (PRECISIONS, compute_dtype, fold_batchnorm,
                     parameters_to_constants)

Size = Union[int, Tuple[int, int], None]
# the keys of model.teacher that build it (the student reads ``cache``)
TEACHER_KEYS = ('cfg', 'checkpoint', 'precision', 'input_size',
                'autocast_dtype')
AUTOCAST_DTYPES = (None, 'bfloat16', 'float16')
# model.teacher is a dict of the student's: its mistakes are named as keys
# of the student's type, which locates them in the config
OWNER = 'DistilledImageClassifier'


@MODELS.register_module()
class Teacher(BaseModule):
    """A trained network, frozen, whose logits a student learns from.

    Built from ``dict(cfg=..., checkpoint=...)`` with
    :func:`mmdeit.get_model`, then put in its fastest faithful form:
    BatchNorm folded into the convolutions, channels-last inputs, and the
    weights cast once to the compute dtype of ``precision``.

    It is a registered child of the student, but by design no part of what
    the student trains or saves: its weights are constants (non-persistent
    buffers, see :func:`parameters_to_constants`), so they are in neither
    the student's ``parameters()`` (the optimizer) nor its ``state_dict()``
    (checkpoints); ``.to()`` moves them with the student; ``train()`` leaves
    it in eval mode; ``init_weights()`` leaves its loaded weights alone; a
    deep copy of the student (the EMA model) shares it instead of holding a
    second copy; and the student names its buffers to DDP as ones to ignore
    (:class:`DistilledImageClassifier`).

    Args:
        cfg: a zoo name (``'regnety-16gf_in1k'``), a config file, a model
            dict, or a built network (used with its weights as they are).
        checkpoint: a path or URL in any layout mmdeit reads, True for the
            zoo entry's released weights, or None with a built network.
        precision: 'fp32', 'bf16', 'fp16', or 'auto' (bf16 where the device
            computes it in hardware: a GPU with bf16, a CPU with AVX512-BF16
            or AMX; fp32 elsewhere). fp32 images in, fp32 logits out, and no
            autocast inside, whatever surrounds the call.
        input_size: the image size (int or (H, W)) it was trained at:
            batches of another size are resized for it (bicubic, antialiased
            when shrinking, as Pillow resizes); None feeds it the student's
            batch as it is.
        autocast_dtype: deprecated; 'bfloat16' / 'float16' mean
            ``precision='bf16'`` / ``'fp16'``.

    ``forward``: the student's preprocessed batch (N, 3, H, W) -> logits
    (N, K) float32, without gradients. The batch is re-normalised for the
    teacher when its data preprocessor normalises otherwise than the
    student's (see :meth:`adapt_to`).
    """

    def __init__(self,
                 cfg: Union[str, dict, Config],
                 checkpoint: Union[str, bool, None],
                 precision: str = 'fp32',
                 input_size: Size = None,
                 autocast_dtype: Optional[str] = None):
        super().__init__()
        check_choice('teacher.autocast_dtype', autocast_dtype,
                     AUTOCAST_DTYPES, OWNER)
        if autocast_dtype is not None:
            precision = _precision_of_autocast(autocast_dtype)
        self.precision = check_choice('teacher.precision', precision,
                                      (*PRECISIONS, 'auto'), OWNER)
        self.input_size = None if input_size is None else size_pair(
            'teacher.input_size', input_size, OWNER)
        if isinstance(cfg, nn.Module):
            network, self.source = cfg, dict(cfg=type(cfg).__name__,
                                              checkpoint=None)
        else:
            network = build_network(cfg, checkpoint)
            self.source = dict(cfg=_plain(cfg), checkpoint=checkpoint)
            if input_size is not None:
                self.source['input_size'] = input_size
        self.model = network.eval()
        fold_batchnorm(self.model)
        parameters_to_constants(self.model)
        self.model.to(memory_format=torch.channels_last)
        # the input map of adapt_to: x * scale + shift after an optional
        # channel flip; identity until the student's normalisation is known
        self.register_buffer('input_scale', None, persistent=False)
        self.register_buffer('input_shift', None, persistent=False)
        self.flip_channels = False
        self._is_init = True  # its weights come from its checkpoint

    @property
    def num_classes(self) -> Optional[int]:
        """The classes its head predicts, when it says (``head.num_classes``
        of mmdeit's classifiers)."""
        return getattr(getattr(self.model, 'head', None), 'num_classes', None)

    def adapt_to(self, student_preprocessor: Optional[nn.Module]) -> None:
        """Map the batches of ``student_preprocessor`` (its ``mean``,
        ``std``, ``to_rgb``) to what the teacher's own data preprocessor
        would have made of the same images: ``x_t = P(x_s) * P(std_s) /
        std_t + (P(mean_s) - mean_t) / std_t``, with P the channel swap when
        the two disagree on ``to_rgb``. Mixup/CutMix mix images linearly, so
        the map holds for mixed batches too. Where both normalise alike, or
        either does not say how it normalises (no mean and std), the batch
        goes through untouched."""
        teacher = getattr(self.model, 'data_preprocessor', None)
        student = _normalisation(student_preprocessor)
        ours = _normalisation(teacher)
        if student is None or ours is None:
            return
        (mean_s, std_s, rgb_s), (mean_t, std_t, rgb_t) = student, ours
        self.flip_channels = rgb_s != rgb_t
        if self.flip_channels:
            mean_s, std_s = mean_s.flip(0), std_s.flip(0)
        if torch.equal(mean_s, mean_t) and torch.equal(std_s, std_t):
            return
        self.input_scale = (std_s / std_t).view(1, -1, 1, 1)
        self.input_shift = ((mean_s - mean_t) / std_t).view(1, -1, 1, 1)

    def train(self, mode: bool = True) -> 'Teacher':
        """Stays in eval mode: BatchNorm keeps its running statistics and
        dropout stays off, however the student trains."""
        return super().train(False)

    def init_weights(self) -> None:
        """Nothing to do: the weights come from the checkpoint."""

    def __deepcopy__(self, memo) -> 'Teacher':
        # a copy of the student (e.g. the EMA model) shares the frozen
        # teacher instead of holding a second copy of its weights
        return self

    @torch.no_grad()
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """The student's batch (N, 3, H, W) -> float32 logits (N, K)."""
        inputs = self.resize(self.renormalise(inputs))
        dtype = compute_dtype(self.precision, inputs.device)
        self._cast_weights(dtype)
        inputs = inputs.to(dtype).contiguous(memory_format=torch.channels_last)
        with torch.autocast(inputs.device.type, enabled=False):
            logits = self.model(inputs)
        return logits.float()

    def renormalise(self, inputs: torch.Tensor) -> torch.Tensor:
        """The student's normalised batch -> the teacher's (see
        :meth:`adapt_to`)."""
        if self.flip_channels:
            inputs = inputs.flip(1)
        if self.input_scale is not None:
            inputs = inputs * self.input_scale + self.input_shift
        return inputs

    def resize(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 3, *input_size), unchanged when no size is
        set or it already fits."""
        if self.input_size is None or \
                tuple(inputs.shape[-2:]) == self.input_size:
            return inputs
        return F.interpolate(inputs, size=self.input_size, mode='bicubic',
                             align_corners=False, antialias=True)

    def _cast_weights(self, dtype: torch.dtype) -> None:
        """Weights in ``dtype``, cast once (not at every call, as autocast
        does); the input map stays float32."""
        first = next((b for b in self.model.buffers()
                      if b.is_floating_point()), None)
        if first is not None and first.dtype != dtype:
            self.model.to(dtype)


def build_teacher(teacher: Union[dict, nn.Module],
                  num_classes: Optional[int] = None) -> Teacher:
    """A :class:`Teacher` from ``dict(cfg=..., checkpoint=...,
    precision='fp32', input_size=None)`` or from a built network.

    With ``num_classes`` (the student's), a teacher whose config or head
    predicts another number of classes is refused before its checkpoint is
    read. A wrong key or value ends in a :class:`ConfigValueError` naming
    ``teacher.<key>``."""
    if isinstance(teacher, nn.Module):
        built = teacher if isinstance(teacher, Teacher) else Teacher(teacher,
                                                                     None)
        check_class_count(built.num_classes, num_classes)
        return built
    teacher = dict(teacher)
    check_keys('teacher', teacher, TEACHER_KEYS, OWNER, teacher)
    for key in ('cfg', 'checkpoint'):
        if key not in teacher:
            raise ConfigValueError(f'teacher.{key}', NOT_SET, 'must be set: '
                                   'the teacher needs a cfg and a checkpoint '
                                   '(None for random weights)', OWNER)
    if isinstance(teacher['cfg'], dict):
        check_class_count(teacher_classes(teacher['cfg']), num_classes,
                          'teacher.cfg.head.num_classes')
    else:
        check_class_count(teacher_classes(teacher['cfg']), num_classes,
                          'teacher.cfg', teacher['cfg'])
    checkpoint = teacher['checkpoint']
    if isinstance(checkpoint, str) and not is_url(checkpoint) \
            and not osp.exists(checkpoint):
        raise ConfigPathError(
            'teacher.checkpoint', checkpoint, 'must be an existing file, a '
            'URL, a Hugging Face folder, True (released weights) or None '
            '(random weights)', OWNER)
    built = MODELS.build(dict(type=Teacher, **teacher))
    check_class_count(built.num_classes, num_classes)
    return built


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


def build_network(cfg: Union[str, dict, Config],
                  checkpoint: Union[str, bool, None]) -> nn.Module:
    """The teacher's network, loaded from ``checkpoint``, in eval mode. Its
    construction draws its random initialisation from generators whose
    state is restored afterwards: a student built with or without a
    teacher starts from the same weights. A failed download names
    ``model.teacher.checkpoint``; a wrong value of the teacher's config is
    named from the student's (``teacher.cfg...``)."""
    try:
        with preserved_random_state():
            return get_model(teacher_config(cfg),
                             pretrained=checkpoint or False)
    except DownloadError as error:
        raise error.naming('model.teacher.checkpoint') from None
    except ConfigValueError as error:
        if isinstance(cfg, dict):
            raise ConfigValueError(
                'teacher.cfg.' + error.key.split('.', 1)[-1], error.value,
                error.allowed, OWNER) from error
        raise ConfigValueError('teacher.cfg', _plain(cfg), f'its {error}',
                               OWNER) from error


def teacher_config(cfg: Union[str, dict, Config]) -> Config:
    """The teacher's config from a zoo name, a config file or a model
    dict."""
    if isinstance(cfg, dict):
        return Config(dict(model=copy.deepcopy(_plain(cfg))))
    if isinstance(cfg, str) and not osp.isfile(cfg) \
            and cfg not in list_models():
        raise ConfigValueError(
            'teacher.cfg', cfg, 'must be a zoo name (mmdeit.list_models()), '
            'a config file or a model dict' + did_you_mean(
                cfg, list_models(), cutoff=0.4), OWNER)
    return load_config(cfg)


def teacher_classes(cfg: Union[str, dict, Config]) -> Optional[int]:
    """The number of classes a teacher config's head predicts, read without
    building it (None when its config does not say)."""
    head = teacher_config(cfg).model.get('head') or {}
    return head.get('num_classes')


def _normalisation(preprocessor: Optional[nn.Module]):
    """(mean (C,), std (C,), to_rgb) of a data preprocessor; None for a
    missing one or one that does not normalise."""
    mean = getattr(preprocessor, 'mean', None)
    std = getattr(preprocessor, 'std', None)
    if mean is None or std is None:
        return None
    return (mean.detach().float().cpu().flatten(),
            std.detach().float().cpu().flatten(),
            bool(getattr(preprocessor, 'to_rgb', False)))


def _precision_of_autocast(autocast_dtype: str) -> str:
    names = {'bfloat16': 'bf16', 'float16': 'fp16'}
    warnings.warn(
        f'model.teacher.autocast_dtype={autocast_dtype!r} is deprecated: '
        f'use precision={names[autocast_dtype]!r} (weights cast once)',
        DeprecationWarning, stacklevel=3)
    return names[autocast_dtype]


def _plain(value):
    return value.to_dict() if isinstance(value, ConfigDict) else value
