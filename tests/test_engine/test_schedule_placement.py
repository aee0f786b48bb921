"""Placing lr schedules at a step (fractions included), and what a resume
with another total batch does to them: this run's base lr and lengths, the
checkpoint's position."""
import math

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.optim.scheduler import LinearLR, _ParamScheduler

from mmdeit.engine.schedulers import WarmupCosineLR
from mmdeit.engine.schedulers.placement import (built_schedules,
                                                follow_new_batch,
                                                place_schedulers)

# the DeiT schedule, in epochs, as a config writes it
SCHEDULE = dict(T_max=300, eta_min=1e-5, warmup_length=5,
                warmup_start_lr=1e-6)


def deit_lr(step: float, base: float, iterations_per_epoch: int,
            scale: float = 1.) -> float:
    """Warm-up from 1e-6, then the cosine to 1e-5 over 300 epochs, in
    iterations of an epoch (official DeiT: timm's CosineLRScheduler with
    warmup_prefix=False), for a group whose lr is ``scale`` times the
    optimizer's: its warm-up start and minimum are scaled too (timm's
    ``lr_scale``)."""
    warmup, total = 5 * iterations_per_epoch, 300 * iterations_per_epoch
    start, minimum = 1e-6 * scale, 1e-5 * scale
    if step < warmup:
        return start + (base - start) * step / warmup
    return minimum + 0.5 * (base - minimum) * (
        1 + math.cos(math.pi * step / total))


def wrapper(lr: float, groups: int = 2) -> OptimWrapper:
    params = [dict(params=[torch.nn.Parameter(torch.zeros(1))],
                   lr=lr * (i + 1)) for i in range(groups)]
    return OptimWrapper(torch.optim.AdamW(params, lr=lr))


def deit_schedule(optim_wrapper, iterations_per_epoch: int, **options):
    return WarmupCosineLR.build_iter_from_epoch(
        optim_wrapper, epoch_length=iterations_per_epoch, **SCHEDULE,
        **options)


def counters(scheduler: _ParamScheduler) -> tuple:
    return scheduler._global_step, scheduler.last_step


@pytest.mark.parametrize('steps', [0, 1, 7, 40, 1600])
@pytest.mark.parametrize('begin,end', [(0, 300), (2, 100)])
def test_placing_equals_stepping(steps, begin, end):
    stepped = deit_schedule(wrapper(1e-3), 8, begin=begin, end=end)
    linear = LinearLR(wrapper(1e-3), start_factor=0.1, by_epoch=False,
                      begin=3, end=20)
    for _ in range(steps):
        stepped.step()
        linear.step()
    placed = deit_schedule(wrapper(1e-3), 8, begin=begin, end=end)
    placed_linear = LinearLR(wrapper(1e-3), start_factor=0.1,
                             by_epoch=False, begin=3, end=20)
    place_schedulers([placed, placed_linear], steps)
    assert counters(placed) == counters(stepped)
    assert counters(placed_linear) == counters(linear)
    # the closed-form schedule's values too (LinearLR keeps the lr it has)
    assert placed.optimizer.get_lr() == stepped.optimizer.get_lr()
    stepped.step()
    placed.step()
    assert placed.optimizer.get_lr() == stepped.optimizer.get_lr()


def test_fractional_step():
    optim_wrapper = wrapper(1e-3, groups=1)
    scheduler = deit_schedule(optim_wrapper, 6)
    place_schedulers([scheduler], 7.5)
    assert optim_wrapper.get_lr()['lr'][0] == pytest.approx(
        deit_lr(7.5, 1e-3, 6), rel=1e-12)
    scheduler.step()
    assert optim_wrapper.get_lr()['lr'][0] == pytest.approx(
        deit_lr(8.5, 1e-3, 6), rel=1e-12)


def resumed(lr: float, iterations_per_epoch: int, checkpoint: dict,
            epoch_based: bool = False):
    """A run built for ``lr`` and ``iterations_per_epoch`` into which
    mmengine's resume loads ``checkpoint`` (optimizer, then schedulers);
    returns it and its schedulers as built."""
    optim_wrapper = wrapper(lr)
    schedulers = [deit_schedule(optim_wrapper, iterations_per_epoch)]
    if epoch_based:
        schedulers.append(WarmupCosineLR(optim_wrapper, by_epoch=True,
                                         **SCHEDULE))
    built = built_schedules(schedulers)
    optim_wrapper.load_state_dict(checkpoint['optimizer'])
    for scheduler, state in zip(schedulers, checkpoint['schedulers']):
        scheduler.load_state_dict(state)
    return optim_wrapper, schedulers, built


def interrupted_run(lr: float, iterations_per_epoch: int, steps: int,
                    epoch_based: bool = False) -> dict:
    optim_wrapper = wrapper(lr)
    schedulers = [deit_schedule(optim_wrapper, iterations_per_epoch)]
    if epoch_based:
        schedulers.append(WarmupCosineLR(optim_wrapper, by_epoch=True,
                                         **SCHEDULE))
    for _ in range(steps):
        for group in optim_wrapper.param_groups:
            for param in group['params']:
                param.grad = torch.ones_like(param)
        optim_wrapper.step()
        schedulers[0].step()
    return dict(optimizer=optim_wrapper.state_dict(),
                schedulers=[s.state_dict() for s in schedulers])


@pytest.mark.parametrize('steps,step', [(12, 12 * 6 / 4), (900, 1350.5)])
def test_follow_new_batch(steps, step):
    # 4 iterations per epoch at lr 1e-3, interrupted after `steps`; resumed
    # with half the total batch: lr 5e-4, 6 iterations per epoch
    checkpoint = interrupted_run(1e-3, 4, steps)
    optim_wrapper, schedulers, built = resumed(5e-4, 6, checkpoint)
    loaded = optim_wrapper.get_lr()['lr']
    assert loaded[0] == pytest.approx(deit_lr(steps, 1e-3, 4), rel=1e-12)
    follow_new_batch(schedulers, built, step)
    scheduler = schedulers[0]
    assert (scheduler.T_max, scheduler.warmup_length) == (1800, 30)
    assert counters(scheduler) == (step, step)
    for group, base in zip(optim_wrapper.param_groups, (5e-4, 1e-3)):
        assert group['initial_lr'] == base
        assert group['lr'] == pytest.approx(deit_lr(step, base, 6,
                                                    base / 5e-4),
                                            rel=1e-12)
    # the AdamW state is the checkpoint's
    assert optim_wrapper.optimizer.state_dict()['state'][0]['step'] == steps


def test_follow_new_batch_keeps_epoch_counts():
    checkpoint = interrupted_run(1e-3, 4, 12, epoch_based=True)
    for _ in range(2):  # two epochs went by
        checkpoint['schedulers'][1]['last_step'] += 1
        checkpoint['schedulers'][1]['_global_step'] += 1
    _, schedulers, built = resumed(2e-3, 2, checkpoint, epoch_based=True)
    follow_new_batch(schedulers, built, 6.0)
    epochs = schedulers[1]
    assert counters(epochs) == (2, 2)
    # (mmengine's wrapper adds a group that holds the base lr, for logs)
    assert epochs.base_values == [2e-3, 4e-3, 2e-3]
    assert epochs.optimizer.param_groups[0]['lr'] == pytest.approx(
        1e-6 + (2e-3 - 1e-6) * 2 / 5, rel=1e-12)


def test_chained_schedule_goes_on_from_the_scaled_value():
    optim_wrapper = wrapper(1e-3)
    linear = LinearLR(optim_wrapper, start_factor=0.1, by_epoch=False,
                      end=100)
    for _ in range(10):
        linear.step()
    checkpoint = dict(optimizer=optim_wrapper.state_dict(),
                      schedulers=[linear.state_dict()])
    optim_wrapper = wrapper(3e-3)
    linear = LinearLR(optim_wrapper, start_factor=0.1, by_epoch=False,
                      end=100)
    built = built_schedules([linear])
    optim_wrapper.load_state_dict(checkpoint['optimizer'])
    linear.load_state_dict(checkpoint['schedulers'][0])
    follow_new_batch([linear], built, 10)
    # 1e-3 x (0.1 + 0.9 x 10 / 99) (mmengine's LinearLR: total_iters =
    # end - begin - 1), times 3
    assert optim_wrapper.get_lr()['lr'][0] == pytest.approx(
        3e-3 * (0.1 + 0.9 * 10 / 99), rel=1e-12)
