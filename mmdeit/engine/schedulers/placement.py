"""Where a run's parameter schedules stand, and moving them when a run
resumes with another total batch.

An iteration-based scheduler (``by_epoch=False``, e.g. an epoch-based config
with ``convert_to_iter_based=True``) counts steps: ``_global_step`` (steps
since it was built) and ``last_step`` (steps inside ``[begin, end)``, -1
before ``begin``). After ``g`` calls of ``step()``, mmengine's
``_ParamScheduler`` holds ``_global_step = g`` and ``last_step =
clamp(g, begin - 1, end - 1) - begin``; :func:`place_schedulers` sets both
for any ``g``, fractions included.
"""
import copy
from typing import Dict, List, NamedTuple, Optional, Union

from mmengine.optim.scheduler import _ParamScheduler

from .warmup_cosine import WarmupCosineLR

# Schedulers whose value is a function of the step alone (mmengine's own
# compute each value from the previous one).
CLOSED_FORM = (WarmupCosineLR, )

Schedulers = Union[None, List[_ParamScheduler],
                   Dict[str, List[_ParamScheduler]]]


def all_schedulers(param_schedulers: Schedulers) -> List[_ParamScheduler]:
    """The built schedulers of a runner's ``param_schedulers`` (None, a list
    or a dict of lists) in one list."""
    if isinstance(param_schedulers, dict):
        schedulers = [s for group in param_schedulers.values() for s in group]
    else:
        schedulers = list(param_schedulers or [])
    return [s for s in schedulers if isinstance(s, _ParamScheduler)]


def place_schedulers(schedulers: List[_ParamScheduler], step: float) -> None:
    """Put every iteration-based scheduler where ``step`` calls of
    ``step()`` leave it (``step`` may be fractional: a part of an
    iteration). Closed-form schedulers (:data:`CLOSED_FORM`) also set the
    values stepping would have left: those of schedules that ended first,
    then those of the schedules in progress. Others keep the values their
    params have (they go on from them at their next step)."""
    iteration_based = [s for s in schedulers if not s.by_epoch]
    for scheduler in iteration_based:
        scheduler._global_step = step
        scheduler.last_step = min(max(step, scheduler.begin - 1),
                                  scheduler.end - 1) - scheduler.begin
    closed_form = [s for s in iteration_based if isinstance(s, CLOSED_FORM)]
    for scheduler in closed_form:
        if step >= scheduler.end:
            _set_values(scheduler, scheduler._get_value())
    for scheduler in closed_form:
        if scheduler.begin <= step < scheduler.end:
            _set_values(scheduler, scheduler._get_value())


def _set_values(scheduler: _ParamScheduler, values: List[float]) -> None:
    for group, value in zip(scheduler.optimizer.param_groups, values):
        group[scheduler.param_name] = value
    scheduler._last_value = [
        group[scheduler.param_name]
        for group in scheduler.optimizer.param_groups
    ]


class BuiltSchedule(NamedTuple):
    """A scheduler as this run built it, before a resume loaded the
    checkpoint's state into it: its state and the base values
    (``initial_<param>``) of its optimizer's param groups."""
    state: dict
    initial: List[Optional[float]]


def built_schedules(schedulers: List[_ParamScheduler]) -> List[BuiltSchedule]:
    """What :func:`follow_new_batch` needs of the schedulers as built."""
    return [
        BuiltSchedule(
            copy.deepcopy(scheduler.state_dict()), [
                group.get(f'initial_{scheduler.param_name}')
                for group in scheduler.optimizer.param_groups
            ]) for scheduler in schedulers
    ]


def follow_new_batch(schedulers: List[_ParamScheduler],
                     built: List[BuiltSchedule], step: float) -> None:
    """After a resume with another total batch: the schedules go on from the
    checkpoint's position with what this run built.

    - Base values (each param group's ``initial_lr``: the configured lr
      scaled to this run's total batch) are this run's; the current value
      of every param group is multiplied by the ratio of the new base value
      to the checkpoint's, then closed-form schedulers recompute it.
    - Iteration-based schedulers take this run's lengths (``T_max``,
      ``begin``, ``end``... converted with this run's iterations per epoch)
      and are placed at ``step`` (:func:`place_schedulers`).
    - Epoch-based schedulers keep the checkpoint's count of epochs.
    """
    rescaled = set()
    for scheduler, (state, initial) in zip(schedulers, built):
        name = scheduler.param_name
        groups = scheduler.optimizer.param_groups
        if (id(scheduler.optimizer), name) not in rescaled:
            rescaled.add((id(scheduler.optimizer), name))
            for group, new in zip(groups, initial):
                old = group.get(f'initial_{name}')
                if new is None or old is None:
                    continue
                if old:
                    group[name] *= new / old
                group[f'initial_{name}'] = new
        if scheduler.by_epoch:
            scheduler.base_values = list(state['base_values'])
        else:
            counters = ('last_step', '_global_step', '_last_value')
            scheduler.__dict__.update({
                key: value
                for key, value in state.items() if key not in counters
            })
    place_schedulers(schedulers, step)
    for scheduler in schedulers:
        if scheduler.by_epoch and isinstance(scheduler, CLOSED_FORM) and \
                scheduler.last_step >= 0:
            _set_values(scheduler, scheduler._get_value())
