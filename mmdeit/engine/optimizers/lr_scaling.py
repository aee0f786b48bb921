"""The linear lr scaling rule of DeiT: the configured lr is for
``auto_scale_lr.base_batch_size`` images per update, the run's lr follows
its own total batch."""
from typing import List, Optional

from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmdeit.utils.config_errors import check_positive_int


def _wrappers(optim_wrapper: OptimWrapper) -> List[OptimWrapper]:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return list(optim_wrapper.values())
    return [optim_wrapper]


def images_per_update(optim_wrapper: OptimWrapper, batch_size: int,
                      world_size: int) -> int:
    """Total batch of one optimizer step: processes x images per process x
    accumulated iterations (``optim_wrapper.accumulative_counts``)."""
    counts = {getattr(w, '_accumulative_counts', 1)
              for w in _wrappers(optim_wrapper)}
    if len(counts) != 1:
        raise ValueError('auto_scale_lr needs one accumulative_counts for all '
                         f'optimizers, got {sorted(counts)}')
    return world_size * batch_size * counts.pop()


def scale_lr(optim_wrapper: OptimWrapper, auto_scale_lr: Optional[dict],
             batch_size: int, world_size: int) -> str:
    """Multiply every param group's lr by total batch / base batch when
    ``auto_scale_lr.enable``; return the line to log either way.

    Only the lr of the param groups changes (each group keeps its own
    multiplier, e.g. layer-wise decay): schedulers read it as their base
    value, while their absolute values (``warmup_start_lr``, ``eta_min``)
    stay as configured. The wrapper's record of the base lr (what mmengine
    logs as ``base_lr`` with several param groups) is scaled alike.
    """
    total = images_per_update(optim_wrapper, batch_size, world_size)
    batch = (f'total batch {total} ({world_size} process'
             f'{"es" if world_size > 1 else ""} x {batch_size} images')
    accumulated = total // (world_size * batch_size)
    batch += f' x {accumulated} accumulated)' if accumulated > 1 else ')'
    base_lrs = ', '.join(f'{w.optimizer.defaults["lr"]:g}'
                         for w in _wrappers(optim_wrapper))
    if not auto_scale_lr or not auto_scale_lr.get('enable', False):
        return f'lr {base_lrs} as configured (auto_scale_lr off), {batch}'
    if 'base_batch_size' not in auto_scale_lr:
        raise KeyError('auto_scale_lr is enabled but has no base_batch_size '
                       '(the total batch the configured lr is for), e.g. '
                       'auto_scale_lr = dict(base_batch_size=512, '
                       'enable=True)')
    base = check_positive_int('auto_scale_lr.base_batch_size',
                              auto_scale_lr['base_batch_size'])
    ratio = total / base
    for wrapper in _wrappers(optim_wrapper):
        for group in wrapper.optimizer.param_groups:
            group['lr'] *= ratio
        if wrapper.base_param_settings is not None:
            wrapper.base_param_settings['lr'] *= ratio
    scaled = ', '.join(f'{w.optimizer.defaults["lr"] * ratio:g}'
                       for w in _wrappers(optim_wrapper))
    return (f'lr scaled with the batch: base lr {base_lrs} for a total batch '
            f'of {base}, {batch} -> lr {scaled} (x {ratio:g}; warm-up start '
            'and minimum lr are absolute, not scaled)')
