"""Resuming with another batch per process, in this process (one rank): a
resume of the resumed run on its own batch is exact again, and gradient
accumulation and the optimizer state carry over. The tiny project: 8
training images."""
import math
from pathlib import Path

import pytest
import torch

from tests.helpers.image_folder import read_runner_checkpoint as read
from tests.helpers.sample_log import read_sample_log
from tests.helpers.tiny_runner import build_runner, log_text, tiny_config

EXTRA = '''
custom_imports = dict(imports=['tests.helpers.sample_log'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='SampleLogHook')]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=1, max_keep_ckpts=-1))
val_dataloader = None
val_cfg = None
val_evaluator = None
'''


def train(folder: Path, resume: Path = None, **options) -> Path:
    """A run of the tiny project in ``folder`` (its own experiment name),
    from scratch or resumed from ``resume``; returns its work dir."""
    cfg = tiny_config(folder, extra=EXTRA, **options)
    if resume is not None:
        cfg.resume, cfg.load_from = True, str(resume)
    build_runner(cfg).train()
    return Path(cfg.work_dir)


def assert_identical(checkpoint: dict, reference: dict) -> None:
    for name, value in reference['state_dict'].items():
        assert torch.equal(checkpoint['state_dict'][name], value), name
    for index, slots in reference['optimizer']['state'].items():
        for slot, value in slots.items():
            assert torch.equal(checkpoint['optimizer']['state'][index][slot],
                               value), (index, slot)


def test_resume_of_a_resumed_run_on_its_batch_is_exact(tmp_path):
    # 1 x 4: 2 iterations per epoch; stopped after the first
    first = train(tmp_path / 'first', **{'train_cfg.max_epochs': 1})
    # 1 x 3 from there: 4 samples left in epoch 1 (2 iterations), then 3 per
    # epoch; the schedule counts the samples of epoch 1 in batches of 3
    second = train(tmp_path / 'second', first / 'iter_1.pth', **{
        'train_dataloader.batch_size': 3, 'train_cfg.max_epochs': 3})
    log = log_text(second)
    assert 'resuming epoch 1 after its first 4 of 8 samples' in log
    lrs = [r['lr'] for r in read_sample_log(second)]
    base = 5e-4 * 3 / 512
    steps = [4 / 3, 4 / 3 + 1] + [3 + k for k in range(6)]
    assert lrs == pytest.approx(
        [1e-6 + (base - 1e-6) * s / 15 for s in steps], rel=1e-9)
    final = read(second / 'iter_9.pth')
    # resumed on 1 x 3 again, from the middle of epoch 1 (the resumed pass)
    # and of epoch 2: it ends where the resumed run did
    for checkpoint in ('iter_2.pth', 'iter_5.pth'):
        third = train(tmp_path / checkpoint.split('.')[0],
                      second / checkpoint, **{
                          'train_dataloader.batch_size': 3,
                          'train_cfg.max_epochs': 3})
        assert_identical(read(third / 'iter_9.pth'), final)


def test_gradient_accumulation_carries_over(tmp_path):
    # 1 x 4, 2 iterations accumulated: a total batch of 8, one update per
    # epoch
    accumulate = {'optim_wrapper.accumulative_counts': 2}
    first = train(tmp_path / 'first', **accumulate,
                  **{'train_cfg.max_epochs': 1})
    assert read(first / 'iter_2.pth')['optimizer']['state'][0]['step'] == 1
    # 1 x 2, still 2 accumulated: a total batch of 4, 4 iterations per
    # epoch, 2 updates
    second = train(tmp_path / 'second', first / 'iter_2.pth', **accumulate,
                   **{'train_dataloader.batch_size': 2,
                      'train_cfg.max_epochs': 2})
    log = log_text(second)
    assert ('resumed with a total batch of 4 (1 process(es) x 2) where the '
            "checkpoint's run had 8 (1 x 4)") in log
    records = read_sample_log(second)
    assert sorted(s for r in records for s in r['samples']) == list(range(8))
    base = 5e-4 * 4 / 512
    assert [r['lr'] for r in records] == pytest.approx(
        [1e-6 + (base - 1e-6) * (4 + k) / 20 for k in range(4)], rel=1e-9)
    final = read(second / 'iter_6.pth')
    assert final['optimizer']['state'][0]['step'] == 3
    # the windows go on: updates after iterations 4 and 6, none after 3, 5
    steps = [read(second / f'iter_{i}.pth')['optimizer']['state'][0]['step']
             for i in range(3, 7)]
    assert steps == [1, 2, 2, 3]
    assert math.isclose(final['message_hub']['runtime_info'][
        'train_position']['total_batch'], 4)
