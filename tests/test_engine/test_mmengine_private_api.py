"""The private (or undocumented) mmengine functions and methods the engine
calls or overrides, with the parameters of the tested mmengine (0.10.7).

An mmengine upgrade that moves one of them fails here, loudly, instead of
changing what a training run does without a word."""
import inspect

import pytest
from mmengine.hooks import CheckpointHook
from mmengine.runner import EpochBasedTrainLoop, Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmdeit.engine.hooks import AtomicCheckpointHook
from mmdeit.engine.loops import ResumableEpochBasedTrainLoop
from mmdeit.engine.runner import ReliableRunner

# (mmengine's function, our override or None where we only call it,
#  the parameters of mmengine 0.10.7)
PRIVATE = [
    (_load_checkpoint, None, ['filename', 'map_location', 'logger']),
    (_load_checkpoint_to_model, None,
     ['model', 'checkpoint', 'strict', 'logger', 'revise_keys']),
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
    if ours is not None:
        assert _parameters(ours) == tested, (
            f'{ours.__qualname__} no longer matches mmengine\'s signature')
