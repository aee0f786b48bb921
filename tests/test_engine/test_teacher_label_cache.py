"""Recorded teacher labels (``model.teacher.cache``) in training runs of a
tiny distilled DeiT (3 classes, 12 training images, Mixup/CutMix, 2 epochs
of 3 batches): the run without a cache, the run that records and the run
that replays with the teacher's checkpoint deleted end with the same
weights bit for bit; a run of other batches never takes the labels; a
run killed while recording resumes and seals the cache; two processes
record a shard each."""
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmdeit.engine.teacher_labels import data_identity
from mmdeit.models.teachers.label_cache import TeacherLabelsUnavailable
from tests.helpers.distilled_runner import (assert_same, config,
                                            teacher_removed, train, weights,
                                            write_project)
from tests.helpers.image_folder import (read_runner_checkpoint,
                                        write_image_folder)
from tests.helpers.repo import ROOT


@pytest.fixture(scope='module')
def project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp('teacher_labels'))


@pytest.fixture(scope='module')
def reference(project, tmp_path_factory) -> dict:
    """The final weights of the run without a cache."""
    return weights(train(config(project, tmp_path_factory.mktemp('plain'))))


@pytest.fixture(scope='module')
def recorded(project, tmp_path_factory) -> Path:
    """The cache of the hard run that recorded; the run ended where the
    run without a cache ends, bit for bit."""
    cache = tmp_path_factory.mktemp('recorded') / 'cache'
    folder = tmp_path_factory.mktemp('record')
    recording = train(config(project, folder,
                             **{'model.teacher.cache': str(cache)}))
    assert recording.model.teacher is not None
    return cache, weights(recording)


def copy_of(recorded, tmp_path: Path) -> Path:
    """A copy of the recorded cache, for a test to add recordings to."""
    shutil.copytree(recorded[0], tmp_path / 'cache')
    return tmp_path / 'cache'


def test_hard_labels_record_then_replay_without_the_teacher(
        project, reference, recorded, tmp_path):
    cache, recording = recorded
    assert_same(recording, reference)
    (folder, ) = cache.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == [
        'epoch0000-rank0000.labels', 'epoch0001-rank0000.labels',
        'manifest.json']
    # a header per epoch, and per batch 28 bytes of record header and CRC
    # and 2 bytes an image
    header = len(b'mmdeit teacher labels 1\n') + len(
        b'{"epoch": 0, "rank": 0, "batches": 3}\n')
    assert (folder / 'epoch0000-rank0000.labels').stat().st_size == \
        header + 3 * 28 + 12 * 2

    # the teacher's checkpoint removed: the labels replay, bit for bit
    with teacher_removed(project):
        replaying = train(config(project, tmp_path / 'replay',
                                 **{'model.teacher.cache': str(cache)}))
    assert replaying.model.teacher is None
    assert_same(weights(replaying), reference)
    log = (next((tmp_path / 'replay' / 'work').glob('*/*.log'))).read_text()
    assert 'replaying them, the teacher is not built' in log
    assert 'accuracy/top1_teacher' not in log


def test_other_batches_never_take_the_labels(project, recorded, tmp_path):
    cache = copy_of(recorded, tmp_path)
    # without the teacher: a message naming what differs
    with teacher_removed(project), \
            pytest.raises(TeacherLabelsUnavailable) as error:
        train(config(project, tmp_path / 'absent', **{
            'model.teacher.cache': str(cache),
            'train_dataloader.batch_size': 3}))
    message = str(error.value)
    assert 'holds teacher labels of other batches' in message
    assert 'batches.batch_size: 4 (recorded) -> 3 (this run)' in message
    assert "teacher.checkpoint='" in message and 'must be an existing' \
        in message
    # with the teacher at hand: it runs, says why, and records anew
    other = train(config(project, tmp_path / 'seed1', **{
        'model.teacher.cache': str(cache), 'randomness.seed': 1,
        'train_cfg.max_epochs': 1}))
    assert other.model.teacher is not None
    assert len(list(cache.iterdir())) == 2
    log = (next((tmp_path / 'seed1' / 'work').glob('*/*.log'))).read_text()
    assert 'batches.seed: 0 (recorded) -> 1 (this run)' in log
    assert 'running the teacher and recording its labels' in log


def test_more_epochs_than_recorded_need_the_teacher(project, recorded,
                                                    tmp_path):
    cache = copy_of(recorded, tmp_path)
    longer = {'model.teacher.cache': str(cache), 'train_cfg.max_epochs': 3}
    with teacher_removed(project), pytest.raises(
            TeacherLabelsUnavailable, match=r'lacks epochs 3 \(of 3\) of '
            r'process 0; and the teacher cannot be loaded'):
        train(config(project, tmp_path / 'absent', **longer))
    # with the teacher, epochs 1-2 replay and epoch 3 is recorded
    run = train(config(project, tmp_path / 'longer', **longer))
    assert run.model.teacher_labels.recorded == [0, 1, 2]


def test_soft_top_k_record_then_replay(project, tmp_path):
    cache = tmp_path / 'cache'
    soft = {'model.teacher.cache': dict(dir=str(cache), topk=2),
            'model.distillation': dict(type='soft', alpha=0.5, tau=3.0)}
    recording = weights(train(config(project, tmp_path / 'record', **soft)))
    with teacher_removed(project):
        replaying = train(config(project, tmp_path / 'replay', **soft))
    assert replaying.model.teacher is None
    assert_same(weights(replaying), recording)


def test_changed_images_are_refused_in_replay(project, recorded, tmp_path):
    # the data moved elsewhere keeps its fingerprint; same names, other
    # pixels: the fingerprint cannot see it, the digest of each batch does
    data = tmp_path / 'data'
    write_image_folder(data, 3, (('train', 4), ('val', 1)), size=(24, 20))
    options = {'model.teacher.cache': str(copy_of(recorded, tmp_path)),
               'train_dataloader.dataset.data_root': str(data),
               'val_dataloader.dataset.data_root': str(data)}
    with teacher_removed(project), pytest.raises(
            TeacherLabelsUnavailable,
            match='batch 0 of epoch 1 .process 0. is not the batch whose'):
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


def test_data_identity_follows_the_content_not_the_place(tmp_path):
    for root in ('a', 'b'):
        (tmp_path / root / 'meta').mkdir(parents=True)
        (tmp_path / root / 'meta' / 'train.txt').write_text('x.png 0\n')
        (tmp_path / root / 'images').mkdir()

    def identity(root):
        return data_identity(dict(
            type='CustomDataset', data_root=str(tmp_path / root),
            ann_file='meta/train.txt', data_prefix='images'))

    assert identity('a') == identity('b')
    assert identity('a')['files'] == {
        'meta/train.txt': identity('a')['files']['meta/train.txt'],
        'images': 'folder'}
    (tmp_path / 'b' / 'meta' / 'train.txt').write_text('x.png 1\n')
    assert identity('a') != identity('b')
