"""An ``optim_wrapper`` config checked before it is built: torch's
optimizers and mmengine's wrappers refuse a bad value without naming its key
(``Invalid learning rate: -0.001``), or fail later on it (an unknown
optimizer type)."""
from mmdeit.registry import OPTIMIZERS
from mmdeit.utils.config_errors import (ConfigValueError, check_number,
                                        check_positive_int)
from mmdeit.utils.registry_hints import unknown_type

# torch's optimizers take these as numbers >= 0
NON_NEGATIVE = ('lr', 'weight_decay', 'eps', 'momentum', 'dampening')


def check_optim_wrapper(cfg: dict) -> None:
    """Refuse an unknown optimizer type, a negative lr, weight decay, eps
    or momentum, betas outside [0, 1), a clipping norm <= 0 and
    ``accumulative_counts`` < 1 (:class:`ConfigValueError` naming the key
    below ``optim_wrapper``)."""
    optimizer = cfg.get('optimizer')
    if isinstance(optimizer, dict):
        name = optimizer.get('type')
        if isinstance(name, str) and OPTIMIZERS.get(name) is None:
            raise unknown_type(name, OPTIMIZERS, 'mmdeit::optimizer')
        for key in NON_NEGATIVE:
            if key in optimizer:
                check_number(f'optimizer.{key}', optimizer[key], low=0)
        betas = optimizer.get('betas')
        if betas is not None and not (
                isinstance(betas, (list, tuple)) and len(betas) == 2 and all(
                    isinstance(beta, (int, float))
                    and not isinstance(beta, bool) and 0 <= beta < 1
                    for beta in betas)):
            raise ConfigValueError('optimizer.betas', betas,
                                   'must be two numbers in [0, 1)')
    clip = cfg.get('clip_grad')
    if isinstance(clip, dict) and 'max_norm' in clip:
        check_number('clip_grad.max_norm', clip['max_norm'], low=0,
                     low_open=True)
    if 'accumulative_counts' in cfg:
        check_positive_int('accumulative_counts', cfg['accumulative_counts'])
