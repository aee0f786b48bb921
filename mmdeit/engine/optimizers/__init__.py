from .autocast_optim_wrapper import AutocastOptimWrapper, mixed_precision_cfg
from .lamb import Lamb
from .layer_decay_constructor import LayerDecayOptimWrapperConstructor
from .non_finite import (GuardedAmpOptimWrapper, GuardedAutocastOptimWrapper,
                         GuardedOptimWrapper, NonFiniteLossError,
                         NonFiniteLossGuard)
from .param_groups import ParamGroupsOptimWrapperConstructor

__all__ = [
    'AutocastOptimWrapper', 'Lamb', 'LayerDecayOptimWrapperConstructor',
    'GuardedOptimWrapper', 'GuardedAmpOptimWrapper',
    'GuardedAutocastOptimWrapper', 'NonFiniteLossError', 'NonFiniteLossGuard',
    'ParamGroupsOptimWrapperConstructor', 'mixed_precision_cfg'
]
