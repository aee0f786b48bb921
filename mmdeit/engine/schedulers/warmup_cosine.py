"""The DeiT learning-rate schedule: linear warm-up, then a cosine that is
computed on the raw step count (the warm-up is not a prefix of it)."""
import math
from typing import List, Optional

from mmengine.optim.scheduler import _ParamScheduler
from mmengine.optim.scheduler.param_scheduler import INF

from mmdeit.registry import PARAM_SCHEDULERS


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

    The base lr of each param group is its ``initial_lr`` (the optimizer's lr
    after any auto-scaling).
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
                raise ValueError('WarmupCosineLR needs T_max or a finite end '
                                 '(the runner sets end to the training '
                                 'length)')
            T_max = end - begin
        if T_max <= 0 or not 0 <= warmup_length <= T_max:
            raise ValueError('need 0 <= warmup_length <= T_max and T_max > 0, '
                             f'got warmup_length={warmup_length}, '
                             f'T_max={T_max}')
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
        return cls(
            *args,
            T_max=None if T_max is None else T_max * epoch_length,
            warmup_length=warmup_length * epoch_length,
            begin=int(begin * epoch_length),
            end=end if end == INF else int(end * epoch_length),
            by_epoch=False,
            **kwargs)

    def _get_value(self) -> List[float]:
        return [
            warmup_cosine_value(self.last_step, base, self.warmup_length,
                                self.warmup_start_lr, self.T_max,
                                self.eta_min) for base in self.base_values
        ]
