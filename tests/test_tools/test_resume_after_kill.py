"""A training run killed with SIGKILL, in the middle of an epoch or in the
middle of writing a checkpoint, and started again with ``--resume`` ends
with the same weights and optimizer state, bit for bit, as a run that was
never interrupted (tools/train.py in subprocesses, on the CPU).

The run has every source of randomness DeiT training has: a shuffling
RepeatAugSampler, RandomResizedCrop/flip/RandAugment/RandomErasing in two
persistent loader workers, Mixup/CutMix, drop path, and validation between
epochs. It
is 3 epochs of 4 iterations, with a checkpoint every 3 iterations, so that
every resume starts inside an epoch.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mmdeit.checkpoint import read_checkpoint
from tests.helpers.image_folder import (read_runner_checkpoint as read,
                                        write_image_folder)
from tests.helpers.repo import ROOT
from tests.helpers.tiny_runner import user_config

RUN = '''
train_cfg = dict(max_epochs=3)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=3, max_keep_ckpts=-1))
randomness = dict(seed=0)
'''
# Runs tools/train.py with os.replace made to SIGKILL the process when it
# is about to rename a temporary file onto a path ending with $KILL_AT: the
# checkpoint is fully written under its temporary name, not yet renamed.
KILL_DURING_SAVE = '''
import os, runpy, signal, sys
rename = os.replace
def replace(src, dst):
    if str(dst).endswith(os.environ['KILL_AT']):
        os.kill(os.getpid(), signal.SIGKILL)
    rename(src, dst)
os.replace = replace
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''
ENV = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')


@pytest.fixture(scope='module')
def config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('resume_after_kill')
    write_image_folder(root / 'data', 4)
    path = root / 'my_deit.py'
    path.write_text(user_config(root / 'data', 4, workers=2,
                                deit_augment=True) + RUN)
    return path


def train_command(config: Path, work_dir: Path, *options: str) -> list:
    return [sys.executable, 'tools/train.py', str(config), '--work-dir',
            str(work_dir), *options]


def run(command: list, env: dict = ENV) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=300, start_new_session=True)


def assert_identical(checkpoint: dict, reference: dict) -> None:
    """Weights and optimizer state equal, tensor by tensor."""
    state, expected = checkpoint['state_dict'], reference['state_dict']
    assert state.keys() == expected.keys()
    for name in expected:
        assert torch.equal(state[name], expected[name]), name
    moments = checkpoint['optimizer']['state']
    for index, slots in reference['optimizer']['state'].items():
        for slot, value in slots.items():
            assert torch.equal(moments[index][slot], value), (index, slot)
    assert checkpoint['meta']['iter'] == reference['meta']['iter'] == 12


@pytest.fixture(scope='module')
def reference(config, tmp_path_factory) -> dict:
    """The final checkpoint of the uninterrupted run."""
    work_dir = tmp_path_factory.mktemp('uninterrupted')
    done = run(train_command(config, work_dir))
    assert done.returncode == 0, done.stdout[-4000:]
    return read(work_dir / 'iter_12.pth')


def test_sigkill_mid_epoch_then_resume_is_exact(config, reference, tmp_path):
    work_dir = tmp_path / 'work'
    pointer = work_dir / 'last_checkpoint'
    # kill the run (and its loader workers) once the checkpoint of iteration
    # 6, the middle of epoch 2, is the latest
    process = subprocess.Popen(
        train_command(config, work_dir), cwd=ROOT, env=ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 300
    while not (pointer.exists() and pointer.read_text().endswith(
            'iter_6.pth')):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert not (work_dir / 'iter_12.pth').exists()
    latest = Path(pointer.read_text())
    assert latest.name in ('iter_6.pth', 'iter_9.pth')

    done = run(train_command(config, work_dir, '--resume'))
    assert done.returncode == 0, done.stdout[-4000:]
    resumed_at = int(latest.stem.split('_')[1])
    epoch, batches = divmod(resumed_at, 4)
    assert f'resumed epoch: {epoch}, iter: {resumed_at}' in done.stdout
    assert (f'resuming epoch {epoch + 1} after its first {batches} batches'
            in done.stdout)
    assert_identical(read(work_dir / 'iter_12.pth'), reference)


def test_kill_between_checkpoint_write_and_rename(config, reference,
                                                  tmp_path):
    work_dir = tmp_path / 'work'
    command = [sys.executable, '-c', KILL_DURING_SAVE,
               *train_command(config, work_dir)[1:]]
    killed = run(command, env=dict(ENV, KILL_AT='iter_6.pth'))
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-4000:]
    # the interrupted save left its temporary file; the latest checkpoint
    # is still the previous one, whole and readable with weights_only
    leftovers = list(work_dir.glob('.iter_6.pth.*.tmp'))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0
    assert not (work_dir / 'iter_6.pth').exists()
    latest = work_dir / 'iter_3.pth'
    assert (work_dir / 'last_checkpoint').read_text() == str(latest)
    assert read_checkpoint(str(latest))['meta']['iter'] == 3

    done = run(train_command(config, work_dir, '--resume'))
    assert done.returncode == 0, done.stdout[-4000:]
    assert 'resumed epoch: 0, iter: 3' in done.stdout
    assert not list(work_dir.glob('.*.tmp'))
    assert_identical(read(work_dir / 'iter_12.pth'), reference)
