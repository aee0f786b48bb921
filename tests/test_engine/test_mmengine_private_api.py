"""The private (or undocumented) mmengine functions and methods the engine
calls or overrides, with the parameters of the tested mmengine (0.10.7).

An mmengine upgrade that moves one of them fails here, loudly, instead of
changing what a training run does without a word."""
import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim.scheduler import LinearLR
from mmengine.runner import EpochBasedTrainLoop, Runner

from mmdeit.engine.hooks import AtomicCheckpointHook
from mmdeit.engine.hooks.atomic_checkpoint_hook import (_RemovalsDeferred,
                                                        _WorkDirElsewhere)
from mmdeit.engine.loops import ResumableEpochBasedTrainLoop
from mmdeit.engine.runner import ReliableRunner

# (mmengine's method, our override, the parameters of mmengine 0.10.7)
PRIVATE = [
    (Runner._maybe_compile, ReliableRunner._maybe_compile,
     ['self', 'target']),
    (Runner.build_train_loop, ReliableRunner.build_train_loop,
     ['self', 'loop']),
    (Runner.build_optim_wrapper, ReliableRunner.build_optim_wrapper,
     ['self', 'optim_wrapper']),
    (Runner.scale_lr, ReliableRunner.scale_lr,
     ['self', 'optim_wrapper', 'auto_scale_lr']),
    (Runner.save_checkpoint, ReliableRunner.save_checkpoint,
     ['self', 'out_dir', 'filename', 'file_client_args', 'save_optimizer',
      'save_param_scheduler', 'meta', 'by_epoch', 'backend_args']),
    (Runner.load_checkpoint, ReliableRunner.load_checkpoint,
     ['self', 'filename', 'map_location', 'strict', 'revise_keys']),
    (Runner.load_or_resume, ReliableRunner.load_or_resume, ['self']),
    (Runner.resume, ReliableRunner.resume,
     ['self', 'filename', 'resume_optimizer', 'resume_param_scheduler',
      'map_location']),
    (EpochBasedTrainLoop.run, ResumableEpochBasedTrainLoop.run, ['self']),
    (EpochBasedTrainLoop.run_epoch, ResumableEpochBasedTrainLoop.run_epoch,
     ['self']),
    (EpochBasedTrainLoop.run_iter, ResumableEpochBasedTrainLoop.run_iter,
     ['self', 'idx', 'data_batch']),
    (CheckpointHook._save_checkpoint_with_step,
     AtomicCheckpointHook._save_checkpoint_with_step,
     ['self', 'runner', 'step', 'meta']),
]


def _parameters(function):
    return list(inspect.signature(inspect.unwrap(function)).parameters)


@pytest.mark.parametrize('theirs,ours,tested', PRIVATE,
                         ids=[item[0].__qualname__ for item in PRIVATE])
def test_mmengine_signature_is_the_tested_one(theirs, ours, tested):
    assert _parameters(theirs) == tested, (
        f'mmengine changed {theirs.__module__}.{theirs.__qualname__}: '
        'check the engine\'s use of it before widening the pinned range')
    assert _parameters(ours) == tested, (
        f'{ours.__qualname__} no longer matches mmengine\'s signature')


def test_checkpoint_hook_saves_as_the_atomic_hook_expects(tmp_path):
    """AtomicCheckpointHook lends mmengine's save a file backend whose
    removals wait and a runner whose work_dir is a scratch folder: mmengine
    must remove the outdated checkpoint through ``self.file_backend`` and
    write ``last_checkpoint`` into ``runner.work_dir`` and nowhere else."""
    work, scratch = tmp_path / 'work', tmp_path / 'scratch'
    work.mkdir()
    scratch.mkdir()

    def save_checkpoint(out_dir, filename, *args, **kwargs):
        (Path(out_dir) / filename).write_text('weights')

    runner = SimpleNamespace(
        work_dir=str(work), save_checkpoint=save_checkpoint,
        logger=MMLogger.get_instance('private-api'),
        message_hub=MessageHub.get_instance('private-api'))
    hook = CheckpointHook(max_keep_ckpts=1)
    hook.before_train(runner)
    hook._save_checkpoint_with_step(runner, 1, meta={})
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')

    backend = hook.file_backend
    hook.file_backend = deferred = _RemovalsDeferred(backend)
    hook._save_checkpoint_with_step(_WorkDirElsewhere(runner, str(scratch)),
                                    2, meta={})
    assert sorted(p.name for p in work.iterdir()) == [
        'epoch_1.pth', 'epoch_2.pth', 'last_checkpoint']
    assert [path for _, path in deferred.removals] == [
        str(work / 'epoch_1.pth')]
    assert (work / 'last_checkpoint').read_text() == str(work / 'epoch_1.pth')
    assert (scratch / 'last_checkpoint').read_text() == \
        str(work / 'epoch_2.pth')
    deferred.carry_out()
    assert sorted(p.name for p in work.iterdir()) == [
        'epoch_2.pth', 'last_checkpoint']


def test_scheduler_counts_as_placement_assumes():
    """mmdeit.engine.schedulers.placement sets ``_global_step`` and
    ``last_step`` of mmengine's schedulers directly, and reads ``begin``,
    ``end``, ``by_epoch`` and ``param_name``: after ``g`` steps,
    ``_global_step == g`` and ``last_step == clamp(g, begin - 1, end - 1) -
    begin``; ``state_dict`` holds every attribute but the optimizer."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.)
    scheduler = LinearLR(optimizer, by_epoch=False, begin=2, end=6)
    assert (scheduler._global_step, scheduler.last_step) == (0, -1)
    for g in range(1, 9):
        scheduler.step()
        assert scheduler._global_step == g
        assert scheduler.last_step == min(max(g, 1), 5) - 2
    assert set(scheduler.state_dict()) == set(vars(scheduler)) - {
        'optimizer'}
    assert {'begin', 'end', 'by_epoch', 'param_name', 'base_values',
            '_last_value'} <= set(vars(scheduler))
