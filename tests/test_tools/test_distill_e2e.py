"""End to end distillation as a user runs it: train a small teacher with
tools/train.py, distil a DeiT student from that teacher's config and
checkpoint, evaluate the student with tools/test.py (per-head, teacher and
agreement metrics)."""
import json
import sys

import pytest
import torch
from mmengine.dataset import pseudo_collate

import mmdeit
from tests.helpers.image_folder import (read_runner_checkpoint,
                                        write_image_folder)
from tests.helpers.repo import ROOT, run_in_repo
from tests.helpers.tiny_runner import data_text, model_text

DATA = data_text('{data_root}', size=32, train_batch=6, val_batch=6,
                 shuffle=True) + '''
data_preprocessor = dict(num_classes=3)
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
'''
TEACHER = '''
_base_ = ['{root}/configs/teachers/regnety-16gf_in1k.py',
          '{root}/configs/_base_/schedules/imagenet_bs1024_adamw_deit.py']
model = dict(
    backbone=dict(arch=dict(_delete_=True, w0=8, wa=8, wm=2, depth=6,
                            group_width=8, se_ratio=0.25)),
    head=dict(num_classes=3, in_channels=64))
''' + DATA
STUDENT_BASE = ROOT / 'configs/deit/deit-tiny-distilled_pt-4xb256_in1k.py'


def student_text(data_root, teacher_config, teacher_checkpoint) -> str:
    """A one-block DeiT-tiny distilled from the given teacher."""
    teacher = dict(cfg=str(teacher_config),
                   checkpoint=str(teacher_checkpoint))
    return f"_base_ = ['{STUDENT_BASE}']\n" + model_text(
        3, dims=32, size=32, patch=16, teacher=teacher) + DATA.format(
            data_root=data_root)


def run(*args: str) -> str:
    done = run_in_repo([sys.executable, *args])
    assert done.returncode == 0, done.stdout[-6000:]
    return done.stdout


def test_train_teacher_then_distil_and_test(tmp_path):
    write_image_folder(tmp_path / 'data', 3, (('train', 4), ('val', 2)),
                       size=(40, 48))
    teacher_config = tmp_path / 'my_teacher.py'
    teacher_config.write_text(TEACHER.format(root=ROOT,
                                             data_root=tmp_path / 'data'))
    run('tools/train.py', str(teacher_config), '--work-dir',
        str(tmp_path / 'teacher'))
    teacher_checkpoint = tmp_path / 'teacher' / 'epoch_1.pth'
    teacher_state = read_runner_checkpoint(teacher_checkpoint)['state_dict']

    student_config = tmp_path / 'my_student.py'
    student_config.write_text(student_text(
        tmp_path / 'data', teacher_config, teacher_checkpoint))
    work_dir = tmp_path / 'student'
    log = run('tools/train.py', str(student_config), '--work-dir',
              str(work_dir))
    assert 'loss_distill' in log

    checkpoint = read_runner_checkpoint(work_dir / 'epoch_1.pth')
    # the student's weights only, and where its teacher came from
    state = checkpoint['state_dict']
    assert 'backbone.stem.conv.weight' in teacher_state
    assert not any(key.startswith(('backbone.stem', 'backbone.stages'))
                   for key in state)
    assert state['head.fc.weight'].shape == (3, 32)  # the teacher's: (3, 64)
    assert checkpoint['meta']['distillation'] == dict(
        type='hard', alpha=0.5,
        teacher=dict(cfg=str(teacher_config),
                     checkpoint=str(teacher_checkpoint)))
    # the teacher, frozen: only the student's parameters were optimised
    optimised = checkpoint['optimizer']['state']
    assert len(optimised) == sum(
        1 for key in checkpoint['state_dict']
        if not key.startswith('data_preprocessor'))

    out = run('tools/test.py', str(student_config),
              str(work_dir / 'epoch_1.pth'), '--work-dir', str(work_dir))
    metrics = json.loads((work_dir / 'test_metrics.json').read_text())
    metrics = metrics['metrics']
    for name in ('accuracy/top1', 'accuracy/top1_cls', 'accuracy/top1_dist',
                 'accuracy/top1_teacher', 'accuracy/teacher_agreement'):
        assert name in metrics and name in out

    # each figure recomputed from the models' own predictions; the teacher
    # inside the student is the trained teacher, unchanged
    images = sorted((tmp_path / 'data' / 'val').glob('*/*.png'))
    labels = torch.tensor([int(path.parent.name[-1]) for path in images])
    teacher = mmdeit.ImageClassificationInferencer(
        str(teacher_config), pretrained=str(teacher_checkpoint))
    by_teacher = torch.tensor([p['pred_label'] for p in teacher(
        [str(p) for p in images], show_progress=False)])
    student = mmdeit.ImageClassificationInferencer(
        str(student_config), pretrained=str(work_dir / 'epoch_1.pth'))
    samples = student.model.test_step(pseudo_collate(
        [student.file_pipeline(dict(img_path=str(p))) for p in images]))

    def predicted(field):
        return torch.stack([s.get(field) for s in samples]).argmax(1)

    def percent(hits):
        return 100 * hits.float().mean().item()

    expected = {
        'top1': percent(predicted('pred_score') == labels),
        'top1_cls': percent(predicted('pred_score_cls') == labels),
        'top1_dist': percent(predicted('pred_score_dist') == labels),
        'top1_teacher': percent(by_teacher == labels),
        'teacher_agreement': percent(predicted('pred_score') == by_teacher),
    }
    for name, value in expected.items():
        assert metrics[f'accuracy/{name}'] == pytest.approx(value), name
