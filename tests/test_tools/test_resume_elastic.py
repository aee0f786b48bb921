"""A run interrupted in the middle of an epoch and resumed with
``tools/dist_train.sh ... --resume`` on another number of processes (gloo)
or another batch per process: the interrupted epoch goes on at its first
sample not yet trained, in the same global order, and it and the next epoch
train every sample once (a repeated-augmentation epoch: every entry of its
repeated list once), padding aside; the lr follows the new total batch and
the schedule the samples seen.

22 training images; the first runs save a checkpoint after every
iteration, and a resume starts from one of those.
"""
import math
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import List

import pytest
import torch

from tests.helpers.image_folder import (read_runner_checkpoint as read,
                                        write_image_folder)
from tests.helpers.repo import run_in_repo
from tests.helpers.sample_log import read_sample_log
from tests.helpers.tiny_runner import write_config

IMAGES = 22
EXTRA = '''
custom_imports = dict(imports=['tests.helpers.sample_log'],
                      allow_failed_imports=False)
custom_hooks = [
    dict(type='SampleLogHook'),
    dict(type='EMAHook', momentum=0.01, priority='ABOVE_NORMAL'),
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=1, max_keep_ckpts=-1))
train_dataloader['sampler'] = {sampler}
'''
DEFAULT = "dict(_delete_=True, type='DefaultSampler', shuffle=True)"
REPEAT_AUG = "dict(_delete_=True, type='RepeatAugSampler', shuffle=True)"


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def dist_train(config: Path, work_dir: Path, processes: int,
               *options: str) -> str:
    done = run_in_repo(
        ['bash', 'tools/dist_train.sh', str(config), str(processes),
         '--work-dir', str(work_dir), *options],
        env=dict(PYTHON=sys.executable, PORT=free_port(),
                 OMP_NUM_THREADS='1'))
    assert done.returncode == 0, done.stdout[-6000:]
    return done.stdout


def write_project(root: Path, sampler: str) -> Path:
    write_image_folder(root / 'data', 2, (('train', IMAGES // 2),
                                          ('val', 1)))
    return write_config(root, root / 'data',
                        extra=EXTRA.format(sampler=sampler))


@pytest.fixture(scope='module')
def repeat_aug_run(tmp_path_factory) -> Path:
    """One epoch of RepeatAugSampler on 2 processes x 4 images: 11 entries
    per rank, 3 iterations."""
    root = tmp_path_factory.mktemp('elastic_repeat_aug')
    config = write_project(root, REPEAT_AUG)
    dist_train(config, root / 'work', 2, '--cfg-options',
               'train_cfg.max_epochs=1')
    return root


@pytest.fixture(scope='module')
def default_run(tmp_path_factory) -> Path:
    """One epoch of DefaultSampler on 1 process x 4 images: 6
    iterations."""
    root = tmp_path_factory.mktemp('elastic_default')
    config = write_project(root, DEFAULT)
    dist_train(config, root / 'work', 1, '--cfg-options',
               'train_cfg.max_epochs=1')
    return root


def epoch_order(sampler: str, seed: int, epoch: int) -> List[int]:
    """The epoch's global order, written out: torch.randperm(seed + epoch),
    each index repeated 3 times in place for repeated augmentation (DeiT's
    RASampler before it deals the entries to the ranks)."""
    generator = torch.Generator()
    generator.manual_seed(seed + epoch)
    order = torch.randperm(IMAGES, generator=generator)
    if sampler == REPEAT_AUG:
        order = order.repeat_interleave(3)
    return order.tolist()


def epoch_entries(sampler: str, world_size: int) -> int:
    """Entries an epoch trains on ``world_size`` processes: every image
    (DefaultSampler), ceil(22 / world_size) per rank below 256 images
    (RASampler as timm has it)."""
    if sampler == DEFAULT:
        return IMAGES
    return math.ceil(IMAGES / world_size) * world_size


def trained_in_order(records: List[dict], start: int) -> List[int]:
    """The samples of one pass in the order of their position in the
    epoch: entry ``start + (k * b + i) * W + r`` is sample ``i`` of
    iteration ``k`` on rank ``r``."""
    placed = {}
    iterations = sorted({r['iter'] for r in records})
    for record in records:
        k = iterations.index(record['iter'])
        world, rank = record['world_size'], record['rank']
        size = len(next(r for r in records if r['iter'] == iterations[0]
                        and r['rank'] == rank)['samples'])
        for i, sample in enumerate(record['samples']):
            placed[start + (k * size + i) * world + rank] = sample
    assert sorted(placed) == list(range(start, start + len(placed)))
    return [placed[p] for p in sorted(placed)]


def warmup_lr(step: float, total_batch: int, iterations_per_epoch: int):
    """The DeiT schedule in its 5 warm-up epochs: from 1e-6 to 5e-4 x total
    batch / 512, linear in iterations of the run's epoch length."""
    base = 5e-4 * total_batch / 512
    return 1e-6 + (base - 1e-6) * step / (5 * iterations_per_epoch)


def check_resume(first: Path, sampler: str, checkpoint_iter: int,
                 world: int, batch: int, processes: int, batch_size: int,
                 tmp_path: Path) -> str:
    """Resume the first run's ``iter_<checkpoint_iter>.pth`` on
    ``processes`` x ``batch_size`` for the rest of epoch 1 and epoch 2, and
    check the samples of both epochs and the lr of every iteration."""
    checkpoint = first / 'work' / f'iter_{checkpoint_iter}.pth'
    position = read(checkpoint)['message_hub']['runtime_info'][
        'train_position']
    start = checkpoint_iter * batch * world
    assert (position['epoch'], position['samples']) == (0, start)
    work_dir = tmp_path / 'work'
    out = dist_train(first / f'deit_{first.name}.py', work_dir, processes,
                     '--resume', str(checkpoint), '--cfg-options',
                     'train_cfg.max_epochs=2',
                     f'train_dataloader.batch_size={batch_size}')
    seed = position['sampler_seed']
    before = [r for r in read_sample_log(first / 'work')
              if r['iter'] < checkpoint_iter]
    after = read_sample_log(work_dir)
    assert {r['world_size'] for r in after} == {processes}

    # the interrupted epoch: the first run's entries, then the rest of the
    # same order, each once, and fewer than `processes` entries again
    length = epoch_entries(sampler, world)
    trained = trained_in_order(before, 0) + trained_in_order(
        [r for r in after if r['epoch'] == 0], start)
    padding = len(trained) - length
    assert 0 <= padding < processes
    order = epoch_order(sampler, seed, 0)
    assert trained == [order[p % len(order)] for p in range(len(trained))]
    if sampler == DEFAULT:
        assert sorted(trained[:length]) == list(range(IMAGES))
    else:  # each image of the selection 3 times, one maybe cut short
        copies = Counter(Counter(trained[:length]).values())
        assert set(copies) <= {1, 2, 3} and copies[3] >= length // 3 - 1

    # the next epoch: the new number of processes' own
    length = epoch_entries(sampler, processes)
    trained = trained_in_order([r for r in after if r['epoch'] == 1], 0)
    rounded = math.ceil(length / processes) * processes
    assert len(trained) == rounded
    order = epoch_order(sampler, seed, 1)
    assert trained == [order[p % len(order)] for p in range(rounded)]

    # the lr: this run's total batch, the schedule at the samples seen
    per_rank = math.ceil(epoch_entries(sampler, processes) / processes)
    iterations = math.ceil(per_rank / batch_size)
    total = processes * batch_size
    lrs = {0: [], 1: []}
    for record in after:
        if record['rank'] == 0:
            lrs[record['epoch']].append(record['lr'])
    resumed_at = start / total
    assert lrs[0] == pytest.approx(
        [warmup_lr(resumed_at + k, total, iterations)
         for k in range(len(lrs[0]))], rel=1e-9)
    assert lrs[1] == pytest.approx(
        [warmup_lr(iterations + k, total, iterations)
         for k in range(iterations)], rel=1e-9)

    # EMA went on from the checkpoint's average
    ran = len({r['iter'] for r in after})
    final = read((work_dir / 'last_checkpoint').read_text())
    assert final['meta']['iter'] == checkpoint_iter + ran
    assert final['ema_state_dict']['steps'] == checkpoint_iter + ran
    return out


def test_2_to_1_process(repeat_aug_run, tmp_path):
    out = check_resume(repeat_aug_run, REPEAT_AUG, 1, 2, 4, 1, 4, tmp_path)
    assert 'resuming epoch 1 after its first 8 of 22 samples' in out
    assert 'the other 14 go to 1 process(es) x 4 in 4 batches' in out
    assert ('resumed with a total batch of 4 (1 process(es) x 4) where the '
            "checkpoint's run had 8 (2 x 4)") in out


def test_2_to_3_processes(repeat_aug_run, tmp_path):
    out = check_resume(repeat_aug_run, REPEAT_AUG, 1, 2, 4, 3, 4, tmp_path)
    # 14 entries left: 5 per rank, one of them padding
    assert 'the other 14 go to 3 process(es) x 4 in 2 batches (1 of them' \
        in out


def test_batch_per_process_changes(repeat_aug_run, tmp_path):
    out = check_resume(repeat_aug_run, REPEAT_AUG, 1, 2, 4, 2, 3, tmp_path)
    # 14 entries left: 7 per rank
    assert 'the other 14 go to 2 process(es) x 3 in 3 batches (0 of them' \
        in out


def test_1_to_2_processes(default_run, tmp_path):
    check_resume(default_run, DEFAULT, 3, 1, 4, 2, 4, tmp_path)
