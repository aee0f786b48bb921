"""The DeiT learning-rate schedule: linear warm-up, then a cosine that is
computed on the raw step count (the warm-up is not a prefix of it)."""
import math
from typing import List, Optional

from mmengine.optim.scheduler import _ParamScheduler
from mmengine.optim.scheduler.param_scheduler import INF

from mmdeit.registry import PARAM_SCHEDULERS
from mmdeit.utils.config_errors import ConfigValueError, check_number


def warmup_cosine_value(step: float, base: float, warmup_length: float,
                        warmup_start: float, T_max: float,
                        eta_min: float) -> float:
    """The value at ``step`` (counted from the schedule's start).

    ``step < warmup_length``: linear from ``warmup_start`` towards ``base``.
    ``warmup_length <= step < T_max``:
    ``eta_min + (base - eta_min) * (1 + cos(pi * step / T_max)) / 2``.
    ``step >= T_max``: ``eta_min``.

    This is timm's ``CosineLRScheduler`` with ``warmup_prefix=False`` and one
    cycle, as the official DeiT uses it (t_initial=T_max, lr_min=eta_min,
    warmup_t=warmup_length, warmup_lr_init=warmup_start).
    """
    if step < warmup_length:
        return warmup_start + (base - warmup_start) * step / warmup_length
    if step >= T_max:
        return eta_min
    return eta_min + 0.5 * (base - eta_min) * (1 + math.cos(
        math.pi * step / T_max))


def check_schedule(T_max: float, warmup_length: float, eta_min: float,
                   warmup_start_lr: float) -> None:
    """Refuse lengths and lrs the schedule cannot follow
    (:class:`ConfigValueError` naming the argument)."""
    owner = 'WarmupCosineLR'
    check_number('T_max', T_max, owner, 0, low_open=True)
    if not isinstance(warmup_length, (int, float)) or \
            not 0 <= warmup_length <= T_max:
        raise ConfigValueError('warmup_length', warmup_length,
                               f'must be in [0, T_max ({T_max:g})]', owner)
    check_number('eta_min', eta_min, owner, 0)
    check_number('warmup_start_lr', warmup_start_lr, owner, 0)


@PARAM_SCHEDULERS.register_module()
class WarmupCosineLR(_ParamScheduler):
    """Linear warm-up from an absolute lr, then cosine annealing to
    ``eta_min``, in closed form (see :func:`warmup_cosine_value`).

    Unlike mmengine's ``LinearLR`` followed by ``CosineAnnealingLR``, the
    cosine phase is evaluated at the step counted from ``begin`` over the
    whole ``T_max``, warm-up included, so after warm-up the lr continues at
    ``cos(pi * warmup_length / T_max)`` of its range, not at the base lr.

    Args:
        optimizer: wrapped optimizer.
        T_max: length of the cosine, warm-up included (epochs when
            ``by_epoch``, else iterations); by default ``end - begin``, the
            whole training when the runner sets ``end`` (as mmengine's
            ``CosineAnnealingLR``).
        eta_min: final lr (absolute; not scaled by ``--auto-scale-lr``).
        warmup_length: steps of linear warm-up (0 for none).
        warmup_start_lr: lr at step 0 (absolute).
        begin, end, last_step, by_epoch, verbose: as in mmengine's
            schedulers. With ``convert_to_iter_based=True`` in a config, the
            epoch lengths are turned into iterations and the lr changes every
            iteration.

    Param groups with their own lr (layer-wise lr decay, ``lr_mult``) follow
    the whole schedule scaled, warm-up start and minimum included, as timm
    multiplies each group's scheduled lr by its ``lr_scale``: the ratio
    between groups holds at every step. A group's scale is its
    ``initial_lr`` (its lr when the scheduler was built, after any
    auto-scaling) over the base lr (see :func:`group_scales`).
    """

    def __init__(self,
                 optimizer,
                 T_max: Optional[float] = None,
                 eta_min: float = 0.,
                 warmup_length: float = 0,
                 warmup_start_lr: float = 0.,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        if T_max is None:
            if end == INF:
                raise ConfigValueError(
                    'T_max', T_max, 'needs a value or a finite end (the '
                    'runner sets end to the training length)',
                    'WarmupCosineLR')
            T_max = end - begin
        check_schedule(T_max, warmup_length, eta_min, warmup_start_lr)
        self.T_max = T_max
        self.eta_min = eta_min
        self.warmup_length = warmup_length
        self.warmup_start_lr = warmup_start_lr
        super().__init__(optimizer, 'lr', begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch,
                         verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, T_max=None, warmup_length=0,
                              begin=0, end=INF, by_epoch=True,
                              epoch_length=None, **kwargs):
        """Build the iteration-based equivalent of an epoch-based config."""
        if not by_epoch:
            raise ValueError('only an epoch-based config (by_epoch=True) can '
                             'be converted to iterations')
        if not epoch_length or epoch_length <= 0:
            raise ValueError(f'epoch_length must be positive, got '
                             f'{epoch_length}')
        # the config's values, in epochs, before they become iterations
        if T_max is not None or end != INF:
            check_schedule(end - begin if T_max is None else T_max,
                           warmup_length, kwargs.get('eta_min', 0.),
                           kwargs.get('warmup_start_lr', 0.))
        return cls(
            *args,
            T_max=None if T_max is None else T_max * epoch_length,
            warmup_length=warmup_length * epoch_length,
            begin=int(begin * epoch_length),
            end=end if end == INF else int(end * epoch_length),
            by_epoch=False,
            **kwargs)

    def _get_value(self) -> List[float]:
        scales = group_scales(self.optimizer)
        return [
            scale * warmup_cosine_value(self.last_step, base / scale,
                                        self.warmup_length,
                                        self.warmup_start_lr, self.T_max,
                                        self.eta_min) if scale else 0.
            for base, scale in zip(self.base_values, scales)
        ]


def group_scales(optimizer) -> List[float]:
    """Each param group's lr relative to the base lr, from what the group
    itself records: its ``initial_lr`` (set by mmengine's schedulers when
    they are built) over the base lr's.

    The base lr is mmengine's own record of it when the optimizer has
    several groups: the ``OptimWrapper``'s ``base_param_settings`` group
    (scaled alike by ``auto_scale_lr``); else the torch optimizer's
    ``defaults['lr']``; a single group is its own base. So the scale does
    not depend on which constructor made the groups, nor on how they were
    merged.
    """
    groups = optimizer.param_groups
    settings = getattr(optimizer, 'base_param_settings', None)
    if settings is not None:
        base = settings.get('initial_lr', settings['lr'])
    elif len(groups) == 1:
        base = groups[0]['initial_lr']
    else:
        base = getattr(optimizer, 'defaults', {}).get('lr')
    if not base:
        return [1.] * len(groups)
    return [group['initial_lr'] / base for group in groups]
