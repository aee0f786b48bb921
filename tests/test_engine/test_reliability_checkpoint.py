"""Checkpoints are written atomically, the latest stays readable when a save
fails, and reading them is safe unless a trusted file is opted in."""
import fractions
import os
from pathlib import Path

import pytest
import torch
from mmengine.fileio import LocalBackend
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper

from mmdeit.checkpoint import CheckpointError, write_durably
from mmdeit.engine.optimizers import GuardedOptimWrapper, NonFiniteLossGuard
from tests.helpers.image_folder import read_runner_checkpoint as read
from tests.helpers.repo import load_tool
from tests.helpers.tiny_runner import build_runner, tiny_config


def write_text(text: str, fail: bool = False):
    def write(path: str) -> None:
        with open(path, 'w') as f:
            f.write(text)
        if fail:
            raise OSError('disk full')
    return write


def test_write_durably_all_or_nothing(tmp_path):
    target = tmp_path / 'epoch_1.pth'
    write_durably(str(target), write_text('old'))
    assert target.read_text() == 'old'
    umask = os.umask(0)
    os.umask(umask)
    # a new file's permissions, not mkstemp's 0600
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(OSError, match='disk full'):
        write_durably(str(target), write_text('half of the new', fail=True))
    assert target.read_text() == 'old'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary file left


def test_failed_save_keeps_latest_checkpoint_and_pointer(tmp_path,
                                                         monkeypatch):
    # max_keep_ckpts=1: mmengine's hook deletes epoch_1.pth before it saves
    # epoch_2.pth, so a crash in between leaves no checkpoint at all
    cfg = tiny_config(tmp_path, **{
        'default_hooks.checkpoint.max_keep_ckpts': 1,
        'train_cfg.max_epochs': 3})
    work = Path(cfg.work_dir)
    put = LocalBackend.put

    def put_failing_at_epoch_2(self, obj, filepath):
        if isinstance(obj, bytes) and (work / 'epoch_1.pth').exists():
            raise OSError('disk full')
        put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put_failing_at_epoch_2)
    runner = build_runner(cfg)
    with pytest.raises(OSError, match='disk full'):
        runner.train()
    assert sorted(p.name for p in work.iterdir() if p.is_file()) == sorted([
        'epoch_1.pth', 'last_checkpoint', Path(cfg.filename).name])
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')
    assert read(work / 'epoch_1.pth')['meta']['epoch'] == 1


def test_old_checkpoints_removed_after_new_one_is_written(tmp_path):
    cfg = tiny_config(tmp_path, **{
        'default_hooks.checkpoint.max_keep_ckpts': 1,
        'train_cfg.max_epochs': 2})
    work = Path(cfg.work_dir)
    work.mkdir()
    stale = [work / '.epoch_2.pth.k3j2h1.tmp',
             work / '.last_checkpoint.a1b2c3.tmp']
    for path in stale:
        path.write_bytes(b'half a checkpoint')
    unrelated = work / '.notes.tmp'
    unrelated.write_text('not ours')
    build_runner(cfg).train()
    assert sorted(p.name for p in work.iterdir() if p.is_file()) == sorted([
        '.notes.tmp', 'epoch_2.pth', 'last_checkpoint',
        Path(cfg.filename).name])
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_2.pth')
    checkpoint = read(work / 'epoch_2.pth')
    assert checkpoint['message_hub']['runtime_info']['keep_ckpt_ids'] == [2]
    # what the reliability features add is plain data (weights_only-safe)
    position = checkpoint['message_hub']['runtime_info']['train_position']
    # the 8 images of the tiny project on 1 process x 4: at the end of epoch
    # 2, epoch 3 at its first sample
    assert position == dict(epoch=2, samples=0, epoch_samples=8,
                            world_size=1, batch_size=4, total_batch=4,
                            realign_schedule=False,
                            sampler_seed=position['sampler_seed'])
    assert isinstance(position['sampler_seed'], int)


class LinkPointer(Hook):
    """After the first checkpoint, a hard link to ``last_checkpoint``: it
    keeps the first content unless the pointer is rewritten in place."""

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, work: Path):
        self.pointer, self.link = work / 'last_checkpoint', work / 'link'

    def after_train_epoch(self, runner) -> None:
        if not self.link.exists():
            os.link(self.pointer, self.link)


def test_pointer_is_replaced_never_rewritten_in_place(tmp_path):
    cfg = tiny_config(tmp_path, **{'train_cfg.max_epochs': 2})
    work = Path(cfg.work_dir)
    runner = build_runner(cfg)
    runner.register_hook(LinkPointer(work))
    runner.train()
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_2.pth')
    assert (work / 'link').read_text() == str(work / 'epoch_1.pth')


@pytest.fixture(scope='module')
def unsafe_checkpoint(tmp_path_factory) -> tuple:
    """(config, runner checkpoint after 1 epoch with a ``Fraction``, which
    ``weights_only`` loading refuses, in its meta)."""
    tmp_path = tmp_path_factory.mktemp('unsafe')
    cfg = tiny_config(tmp_path, **{'train_cfg.max_epochs': 1})
    build_runner(cfg).train()
    path = Path(cfg.work_dir) / 'epoch_1.pth'
    checkpoint = read(path)
    checkpoint['meta']['note'] = fractions.Fraction(1, 3)
    torch.save(checkpoint, path)
    return Path(cfg.filename), path


def test_resume_refuses_unsafe_checkpoint_unless_trusted(tmp_path,
                                                         unsafe_checkpoint):
    train = load_tool('tools/train.py')
    config, checkpoint = unsafe_checkpoint
    argv = [str(config), '--work-dir', str(tmp_path / 'resumed'),
            '--resume', str(checkpoint), '--cfg-options',
            'train_cfg.max_epochs=2']
    with pytest.raises(CheckpointError) as error:
        train.main(argv)
    message = str(error.value)
    assert str(checkpoint) in message
    assert 'Fraction' in message and '--trust-checkpoint' in message
    assert not (tmp_path / 'resumed' / 'epoch_2.pth').exists()

    train.main(argv + ['--trust-checkpoint'])
    resumed = read(tmp_path / 'resumed' / 'epoch_2.pth')
    assert (resumed['meta']['epoch'], resumed['meta']['iter']) == (2, 4)


def test_test_tool_trusts_only_when_told(tmp_path, unsafe_checkpoint):
    test_tool = load_tool('tools/test.py')
    config, checkpoint = unsafe_checkpoint
    argv = [str(config), str(checkpoint), '--work-dir', str(tmp_path)]
    with pytest.raises(CheckpointError, match='trusted=True'):
        test_tool.main(argv)
    metrics = test_tool.main(argv + ['--trust-checkpoint'])
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}


def test_runner_optim_wrapper_is_guarded(tmp_path):
    cfg = tiny_config(tmp_path, **{'optim_wrapper.non_finite_loss': 'skip'})
    runner = build_runner(cfg)
    wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    assert isinstance(wrapper, NonFiniteLossGuard)
    assert wrapper.non_finite_loss == 'skip'
    # a registered class named in the config, not one made on the fly
    assert type(wrapper) is GuardedOptimWrapper
    assert isinstance(wrapper, OptimWrapper)
    assert runner.cfg.optim_wrapper.get('type', 'OptimWrapper') == \
        'OptimWrapper'  # the config the run dumps is the one given
