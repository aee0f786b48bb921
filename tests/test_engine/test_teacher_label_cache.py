"""Recorded teacher labels (``model.teacher.cache``) in training runs of a
tiny distilled DeiT (3 classes, 12 training images, Mixup/CutMix, 2 epochs
of 3 batches): the run without a cache, the run that records and the run
that replays with the teacher's checkpoint deleted end with the same
weights bit for bit; a run of other batches never takes the labels; a
run killed while recording resumes and seals the cache."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdeit.engine.resume import run_training
from mmdeit.models import ImageClassifier
from mmdeit.models.teachers.label_cache import TeacherLabelsUnavailable
from mmdeit.registry import RUNNERS
from mmdeit.utils import register_all_modules
from tests.helpers.image_folder import (read_runner_checkpoint,
                                        write_image_folder)
from tests.helpers.repo import ROOT

NORMALISE = dict(mean=[123.675, 116.28, 103.53],
                 std=[58.395, 57.12, 57.375], to_rgb=True)
TEACHER = dict(
    type='ImageClassifier',
    backbone=dict(type='RegNet', arch=dict(w0=8, wa=8, wm=2, depth=6,
                                           group_width=8, se_ratio=0.25)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
    data_preprocessor=dict(NORMALISE, num_classes=3))
CONFIG = '''
_base_ = ['{root}/configs/deit/deit-tiny-distilled_pt-4xb256_in1k.py']
data_root = '{data_root}'
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=16, num_layers=1, num_heads=2,
                  feedforward_channels=32),
        img_size=16, patch_size=8),
    head=dict(num_classes=3, in_channels=16),
    teacher=dict(_delete_=True, cfg={teacher}, checkpoint='{checkpoint}'))
data_preprocessor = dict(num_classes=3)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=16, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=18, edge='short'),
    dict(type='CenterCrop', crop_size=16),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=3, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=2))
randomness = dict(seed=0)
'''


@pytest.fixture(scope='module')
def project(tmp_path_factory) -> Path:
    """Images, and the teacher's checkpoint (a small RegNetY whose
    BatchNorms do something)."""
    root = tmp_path_factory.mktemp('teacher_labels')
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
    text = CONFIG.format(root=ROOT, data_root=project / 'data',
                         teacher=TEACHER,
                         checkpoint=checkpoint or project / 'teacher.pth')
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
def teacher_removed(project: Path):
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


@pytest.fixture(scope='module')
def reference(project, tmp_path_factory) -> dict:
    """The final weights of the run without a cache."""
    return weights(train(config(project, tmp_path_factory.mktemp('plain'))))


def test_hard_labels_record_then_replay_without_the_teacher(
        project, reference, tmp_path):
    cache = tmp_path / 'cache'
    recording = train(config(project, tmp_path / 'record',
                             **{'model.teacher.cache': str(cache)}))
    assert recording.model.teacher is not None
    assert_same(weights(recording), reference)
    folder = Path(recording.model.teacher_labels.folder)
    assert folder.parent == cache
    assert sorted(p.name for p in folder.iterdir()) == [
        'epoch0000-rank0000.labels', 'epoch0001-rank0000.labels',
        'manifest.json']
    # 3 batches of 4 images (2 bytes each) and a header per record
    assert (folder / 'epoch0000-rank0000.labels').stat().st_size < 200

    # the teacher's checkpoint removed: the labels replay, bit for bit
    checkpoint = tmp_path / 'teacher.pth'
    checkpoint.write_bytes((project / 'teacher.pth').read_bytes())
    path = config(project, tmp_path / 'replay', checkpoint=checkpoint,
                  **{'model.teacher.cache': str(cache)})
    fingerprinted = train(config(project, tmp_path / 'record2',
                                 checkpoint=checkpoint,
                                 **{'model.teacher.cache': str(cache)}))
    # (another checkpoint path is another teacher: another recording)
    assert fingerprinted.model.teacher_labels.folder != str(folder)
    os.remove(checkpoint)
    replaying = train(path)
    assert replaying.model.teacher is None
    assert_same(weights(replaying), reference)
    log = (next((tmp_path / 'replay' / 'work').glob('*/*.log'))).read_text()
    assert 'replaying them, the teacher is not built' in log


def test_other_batches_never_take_the_labels(project, tmp_path):
    cache = tmp_path / 'cache'
    train(config(project, tmp_path / 'record',
                 **{'model.teacher.cache': str(cache)}))
    # with the teacher at hand: it runs, and a new recording is made
    other = train(config(project, tmp_path / 'seed1', **{
        'model.teacher.cache': str(cache), 'randomness.seed': 1}))
    assert other.model.teacher is not None
    assert len(list(cache.iterdir())) == 2
    log = (next((tmp_path / 'seed1' / 'work').glob('*/*.log'))).read_text()
    assert 'seed: 0 (recorded) -> 1 (this run)' in log

    # without it: a message naming what differs
    with teacher_removed(project), \
            pytest.raises(TeacherLabelsUnavailable) as error:
        train(config(project, tmp_path / 'absent', **{
            'model.teacher.cache': str(cache),
            'train_dataloader.batch_size': 3}))
    message = str(error.value)
    assert 'holds teacher labels of other batches' in message
    assert 'batches.batch_size: 4 (recorded) -> 3 (this run)' in message
    assert 'checkpoint not found' in message


def test_more_epochs_than_recorded_need_the_teacher(project, tmp_path):
    cache = tmp_path / 'cache'
    train(config(project, tmp_path / 'record', **{
        'model.teacher.cache': str(cache), 'train_cfg.max_epochs': 1}))
    with teacher_removed(project), pytest.raises(
            TeacherLabelsUnavailable, match=r'lacks epochs 2 \(of 2\) of '
            r'process 0; and the teacher cannot be loaded'):
        train(config(project, tmp_path / 'absent',
                     **{'model.teacher.cache': str(cache)}))
    # with the teacher, epoch 1 replays and epoch 2 is recorded
    longer = train(config(project, tmp_path / 'longer', **{
        'model.teacher.cache': str(cache)}))
    assert longer.model.teacher_labels.recorded == [0, 1]


def test_soft_top_k_record_then_replay(project, tmp_path):
    cache = tmp_path / 'cache'
    soft = {'model.teacher.cache': dict(dir=str(cache), topk=2),
            'model.distillation': dict(type='soft', alpha=0.5, tau=3.0)}
    recording = weights(train(config(project, tmp_path / 'record', **soft)))
    with teacher_removed(project):
        replaying = train(config(project, tmp_path / 'replay', **soft))
    assert replaying.model.teacher is None
    assert_same(weights(replaying), recording)


def test_changed_images_are_refused_in_replay(project, tmp_path):
    data = tmp_path / 'data'
    write_image_folder(data, 3, (('train', 4), ('val', 1)))
    cache = tmp_path / 'cache'
    options = {'model.teacher.cache': str(cache),
               'train_dataloader.dataset.data_root': str(data),
               'val_dataloader.dataset.data_root': str(data)}
    train(config(project, tmp_path / 'record', **options))
    # same names, other pixels: the fingerprint cannot see it, the digest
    # of the batch does
    write_image_folder(data, 3, (('train', 4), ('val', 1)), size=(24, 20))
    with pytest.raises(TeacherLabelsUnavailable,
                       match='is not the batch whose teacher labels'):
        train(config(project, tmp_path / 'replay', **options))


# tools/train.py, SIGKILLed right after the 5th record is written (epoch 2,
# its second batch; the latest checkpoint is that of iteration 4)
KILL_AFTER_RECORD = '''
import os, runpy, signal, sys
from mmdeit.models.teachers import label_store
append = label_store.RecordLog.append
def killing_append(self, record, count=[0]):
    append(self, record)
    count[0] += 1
    if count[0] == int(os.environ['KILL_AFTER']):
        os.kill(os.getpid(), signal.SIGKILL)
label_store.RecordLog.append = killing_append
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def test_killed_while_recording_resumes_and_seals(project, reference,
                                                  tmp_path):
    cache = tmp_path / 'cache'
    path = config(project, tmp_path / 'run')
    work_dir = tmp_path / 'run' / 'work'
    command = [sys.executable, 'tools/train.py', str(path), '--work-dir',
               str(work_dir), '--cfg-options',
               f'model.teacher.cache={cache}']
    # as many threads as the in-process reference: the same sums, bit for bit
    env = dict(os.environ, PYTHONPATH=str(ROOT),
               OMP_NUM_THREADS=str(torch.get_num_threads()))
    killed = subprocess.run(
        [sys.executable, '-c', KILL_AFTER_RECORD, *command[1:]], cwd=ROOT,
        env=dict(env, KILL_AFTER='5'), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-3000:]
    folder = next(p for p in cache.iterdir() if p.is_dir())
    assert sorted(p.name for p in folder.iterdir()) == [
        'epoch0000-rank0000.labels', 'epoch0001-rank0000.log',
        'manifest.json']

    done = subprocess.run(command + ['--resume'], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert 'goes on from the 2 batches an interrupted run recorded' in \
        done.stdout
    assert sorted(p.name for p in folder.iterdir()) == [
        'epoch0000-rank0000.labels', 'epoch0001-rank0000.labels',
        'manifest.json']
    assert_same(read_runner_checkpoint(work_dir / 'iter_6.pth')['state_dict'],
                reference)


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def dist_train(path: Path, work_dir: Path, cache: Path, processes: int):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHON=sys.executable,
               PORT=free_port(), OMP_NUM_THREADS='1')
    return subprocess.run(
        ['bash', 'tools/dist_train.sh', str(path), str(processes),
         '--work-dir', str(work_dir), '--cfg-options',
         f'model.teacher.cache={cache}'], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)


def test_two_processes_record_their_shards_and_replay(project, tmp_path):
    cache = tmp_path / 'cache'
    path = config(project, tmp_path / 'run')
    recorded = dist_train(path, tmp_path / 'record', cache, 2)
    assert recorded.returncode == 0, recorded.stdout[-3000:]
    folder = next(p for p in cache.iterdir() if p.is_dir())
    assert sorted(p.name for p in folder.glob('*.labels')) == [
        f'epoch{e:04d}-rank{r:04d}.labels' for e in range(2) for r in range(2)]

    with teacher_removed(project):
        replayed = dist_train(path, tmp_path / 'replay', cache, 2)
        assert replayed.returncode == 0, replayed.stdout[-3000:]
        # on another number of processes the batches are others: refused,
        # naming what differs
        single = subprocess.run(
            [sys.executable, 'tools/train.py', str(path), '--work-dir',
             str(tmp_path / 'single'), '--cfg-options',
             f'model.teacher.cache={cache}'], cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert single.returncode != 0
    assert 'batches.processes: 2 (recorded) -> 1 (this run)' in single.stdout
    assert 'replaying them, the teacher is not built' in replayed.stdout
    # each rank iterated 2 epochs of 2 batches (6 images per rank)
    assert_same(
        read_runner_checkpoint(tmp_path / 'replay' / 'iter_4.pth')[
            'state_dict'],
        read_runner_checkpoint(tmp_path / 'record' / 'iter_4.pth')[
            'state_dict'])
