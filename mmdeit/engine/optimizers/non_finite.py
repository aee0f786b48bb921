"""Keep a non-finite loss away from the weights."""
import logging
from typing import Dict, Optional, Type

import torch
from mmengine.dist import all_reduce
from mmengine.logging import MessageHub, print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmdeit.registry import OPTIM_WRAPPERS
from mmdeit.utils.config_errors import check_choice
from .autocast_optim_wrapper import AutocastOptimWrapper

POLICIES = ('raise', 'skip')


class NonFiniteLossError(FloatingPointError):
    """Training met a NaN or infinite loss and stopped before using it."""


class NonFiniteLossGuard:
    """Mixin for an mmengine ``OptimWrapper`` (placed before it in the bases):
    ``update_params`` checks the loss before backward, so a NaN or infinite
    loss never reaches the gradients, the optimizer state or the weights.

    Args:
        non_finite_loss: 'raise' (default): stop with
            :class:`NonFiniteLossError`, naming the iteration and the last
            checkpoint saved (all checkpoints hold finite weights). 'skip':
            leave the iteration's update out, log a warning and go on (with
            gradient accumulation, an accumulation window that ends on a
            skipped iteration is dropped whole).
        *args, **kwargs: those of the wrapper.

    In a distributed run the ranks agree (any rank's non-finite loss counts
    for all), so that they skip together.
    """

    def __init__(self, *args, non_finite_loss: str = 'raise', **kwargs):
        check_choice('non_finite_loss', non_finite_loss, POLICIES)
        super().__init__(*args, **kwargs)
        self.non_finite_loss = non_finite_loss
        self.skipped_steps = 0

    def update_params(self, loss: torch.Tensor,
                      step_kwargs: Optional[dict] = None,
                      zero_kwargs: Optional[dict] = None) -> None:
        if _all_finite(loss):
            return super().update_params(loss, step_kwargs, zero_kwargs)
        value = loss.detach().float().sum().item()
        where, last = _training_position()
        if self.non_finite_loss == 'raise':
            saved = (f'The last checkpoint, saved before it, is {last}: '
                     'resume from it with tools/train.py CONFIG --resume '
                     'once the cause is fixed (a lower lr, gradient '
                     'clipping...)' if last else
                     'No checkpoint was saved before it in this run')
            raise NonFiniteLossError(
                f'non-finite loss ({value}) {where}; training stops before '
                f'the update, so the weights hold no NaN. {saved}. To skip '
                "such iterations instead, set optim_wrapper.non_finite_loss="
                "'skip'.")
        self.skipped_steps += 1
        print_log(f'non-finite loss ({value}) {where}: update skipped '
                  f'({self.skipped_steps} so far)', logger='current',
                  level=logging.WARNING)
        # count the iteration, so that accumulation windows keep their places
        self._inner_count += 1
        if self.should_update():
            self.zero_grad(**(zero_kwargs or {}))


def _all_finite(loss: torch.Tensor) -> bool:
    """Whether the loss is finite on every rank."""
    bad = (~torch.isfinite(loss.detach())).any().float().reshape(1)
    all_reduce(bad, op='max')
    return not bool(bad.item())


def _training_position():
    """'at iteration I (epoch E)' and the last checkpoint path, from the
    message hub that the runner's hooks keep up to date."""
    hub = MessageHub.get_current_instance()
    iteration, epoch = hub.get_info('iter'), hub.get_info('epoch')
    where = 'at iteration ?' if iteration is None \
        else f'at iteration {iteration + 1}'
    if epoch is not None:
        where += f' (epoch {epoch + 1})'
    return where, hub.get_info('last_ckpt')


@OPTIM_WRAPPERS.register_module()
class GuardedOptimWrapper(NonFiniteLossGuard, OptimWrapper):
    """``OptimWrapper`` refusing non-finite losses (see
    :class:`NonFiniteLossGuard`)."""


@OPTIM_WRAPPERS.register_module()
class GuardedAmpOptimWrapper(NonFiniteLossGuard, AmpOptimWrapper):
    """``AmpOptimWrapper`` refusing non-finite losses (see
    :class:`NonFiniteLossGuard`)."""


@OPTIM_WRAPPERS.register_module()
class GuardedAutocastOptimWrapper(NonFiniteLossGuard, AutocastOptimWrapper):
    """:class:`AutocastOptimWrapper` refusing non-finite losses (see
    :class:`NonFiniteLossGuard`)."""


# the guarded version of each wrapper type; a wrapper of another type gets
# the guard from a class of its own: ``class GuardedMine(NonFiniteLossGuard,
# Mine)``, registered in OPTIM_WRAPPERS
GUARDED_WRAPPERS: Dict[Type[OptimWrapper], Type[NonFiniteLossGuard]] = {
    OptimWrapper: GuardedOptimWrapper,
    AmpOptimWrapper: GuardedAmpOptimWrapper,
    AutocastOptimWrapper: GuardedAutocastOptimWrapper,
}

__all__ = [
    'NonFiniteLossError', 'NonFiniteLossGuard', 'GuardedOptimWrapper',
    'GuardedAmpOptimWrapper', 'GuardedAutocastOptimWrapper',
    'GUARDED_WRAPPERS'
]
