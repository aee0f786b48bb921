"""A tiny distilled DeiT and its teacher for the tests of recorded teacher
labels: 3 classes of 4 training images (16 px crops, Mixup/CutMix), a
small RegNetY teacher whose checkpoint is written in tmp, 2 epochs of 3
batches, trained in this process."""
import contextlib
import os
from pathlib import Path
from typing import Iterator

import torch
from mmengine.config import Config

from mmdeit.engine.resume import run_training
from mmdeit.models import ImageClassifier
from mmdeit.registry import RUNNERS
from mmdeit.utils import register_all_modules
from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import ROOT
from tests.helpers.tiny_runner import data_text, model_text

NORMALISE = dict(mean=[123.675, 116.28, 103.53],
                 std=[58.395, 57.12, 57.375], to_rgb=True)
TEACHER = dict(
    type='ImageClassifier',
    backbone=dict(type='RegNet', arch=dict(w0=8, wa=8, wm=2, depth=6,
                                           group_width=8, se_ratio=0.25)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
    data_preprocessor=dict(NORMALISE, num_classes=3))
DISTILLED_CONFIG = ROOT / 'configs/deit/deit-tiny-distilled_pt-4xb256_in1k.py'
# the run: 2 epochs of 3 batches, a checkpoint at the end
RUN = '''
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=2))
randomness = dict(seed=0)
'''


def write_project(root: Path) -> Path:
    """Images, and the teacher's checkpoint (a small RegNetY whose
    BatchNorms do something), in ``root``."""
    write_image_folder(root / 'data', 3, (('train', 4), ('val', 1)))
    torch.manual_seed(0)
    teacher = ImageClassifier(**{k: v for k, v in TEACHER.items()
                                 if k != 'type'})
    teacher.init_weights()
    for module in teacher.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)
    torch.save({'state_dict': teacher.state_dict()}, root / 'teacher.pth')
    return root


def config(project: Path, folder: Path, checkpoint: Path = None,
           **options) -> Path:
    """The student's config file in ``folder`` (its own name, so that the
    runners of one process keep their own loggers), with ``options``
    (dotted keys) appended as a last line of overrides."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f'student_{folder.name}.py'
    teacher = dict(_delete_=True, cfg=TEACHER,
                   checkpoint=str(checkpoint or project / 'teacher.pth'))
    text = f"_base_ = ['{DISTILLED_CONFIG}']\n" + model_text(
        3, teacher=teacher) + data_text(
            project / 'data', val_batch=3, shuffle=True,
            interpolation=None) + RUN
    path.write_text(text + f'OPTIONS = {options!r}\n')
    return path


def train(path: Path):
    """Train the config in this process; the runner afterwards."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(cfg.pop('OPTIONS'))
    cfg.work_dir = str(path.parent / 'work')
    runner = RUNNERS.build(cfg)
    run_training(runner)
    return runner


@contextlib.contextmanager
def teacher_removed(project: Path) -> Iterator[None]:
    """The teacher's checkpoint moved away for the duration."""
    away = project / 'teacher.pth.away'
    os.rename(project / 'teacher.pth', away)
    try:
        yield
    finally:
        os.rename(away, project / 'teacher.pth')


def weights(runner) -> dict:
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def assert_same(ours: dict, reference: dict) -> None:
    assert ours.keys() == reference.keys()
    for name, value in reference.items():
        assert torch.equal(ours[name], value), name
