"""A non-finite loss never reaches the weights: training stops naming the
iteration and the last checkpoint, or skips the update when configured."""
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper

from mmdeit.engine.optimizers import (GuardedAutocastOptimWrapper,
                                      GuardedOptimWrapper, NonFiniteLossError)
from mmdeit.registry import OPTIM_WRAPPERS
from tests.helpers.image_folder import read_runner_checkpoint as read
from tests.helpers.tiny_runner import build_runner, log_text, tiny_config


class PoisonIteration(Hook):
    """Make the loss of one iteration NaN: a zero std in the data
    preprocessor turns the normalised batch into inf/NaN."""

    def __init__(self, iteration: int):
        self.iteration = iteration
        self.std = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        std = runner.model.data_preprocessor.std
        if self.std is None:
            self.std = std.clone()
        std.copy_(self.std * (runner.iter != self.iteration))


def poisoned_run(tmp_path, **options):
    """A runner of 2 epochs of 2 iterations, a checkpoint after each, and a
    NaN loss at the third."""
    cfg = tiny_config(tmp_path, **options, **{
        'default_hooks.checkpoint.by_epoch': False,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': -1})
    runner = build_runner(cfg)
    runner.register_hook(PoisonIteration(iteration=2))
    return runner, Path(cfg.work_dir)


def finite(model) -> bool:
    return all(torch.isfinite(p).all() for p in model.parameters())


def test_stop_names_iteration_and_last_checkpoint(tmp_path):
    runner, work = poisoned_run(tmp_path)
    with pytest.raises(NonFiniteLossError) as error:
        runner.train()
    last = work / 'iter_2.pth'
    message = str(error.value)
    assert 'non-finite loss (nan) at iteration 3 (epoch 2)' in message
    assert f'The last checkpoint, saved before it, is {last}' in message
    assert "optim_wrapper.non_finite_loss='skip'" in message
    # the update was not made: the weights are those of iteration 2
    assert finite(runner.model)
    saved = read(last)['state_dict']
    for name, value in runner.model.state_dict().items():
        if name in saved:
            assert torch.equal(value, saved[name]), name


def test_skip_leaves_the_update_out(tmp_path):
    runner, work = poisoned_run(
        tmp_path, **{'optim_wrapper.non_finite_loss': 'skip'})
    runner.train()
    assert runner.optim_wrapper.skipped_steps == 1
    assert finite(runner.model)
    before, after = (read(work / f'iter_{i}.pth') for i in (2, 3))
    # iteration 3 changed no weight and no optimizer state
    for name, value in before['state_dict'].items():
        assert torch.equal(value, after['state_dict'][name]), name
    steps = {int(s['step']) for s in after['optimizer']['state'].values()}
    assert steps == {2}
    final = read(work / 'iter_4.pth')
    steps = {int(s['step']) for s in final['optimizer']['state'].values()}
    assert steps == {3}


def test_policy_is_checked(tmp_path):
    cfg = tiny_config(tmp_path, **{'optim_wrapper.non_finite_loss': 'ignore'})
    runner = build_runner(cfg)
    with pytest.raises(ValueError, match="non_finite_loss='ignore': must be "
                       "one of 'raise', 'skip'"):
        runner.build_optim_wrapper(runner.optim_wrapper)


@OPTIM_WRAPPERS.register_module()
class UnguardedTestWrapper(OptimWrapper):
    """A wrapper type with no guarded version."""


@pytest.mark.parametrize('configured,built,guarded', [
    ('AutocastOptimWrapper', GuardedAutocastOptimWrapper, True),
    ('GuardedOptimWrapper', GuardedOptimWrapper, False),  # named: as is
    ('UnguardedTestWrapper', UnguardedTestWrapper, False),
])
def test_wrapper_type_becomes_its_guarded_version(tmp_path, configured,
                                                  built, guarded):
    cfg = tiny_config(tmp_path, **{'optim_wrapper.type': configured})
    runner = build_runner(cfg)
    wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    assert type(wrapper) is built
    log = log_text(Path(cfg.work_dir))
    swap = (f'optim wrapper: {configured} -> {configured} with '
            f'NonFiniteLossGuard ({built.__name__}: checks each loss before '
            'backward)')
    assert (swap in log) == guarded
    assert ('optim_wrapper type UnguardedTestWrapper has no guarded version'
            in log) == (configured == 'UnguardedTestWrapper')
