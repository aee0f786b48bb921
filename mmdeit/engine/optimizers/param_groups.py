"""One param group per distinct setting, instead of mmengine's one group per
parameter.

With a ``paramwise_cfg``, mmengine's ``DefaultOptimWrapperConstructor``
makes a param group for every parameter (DeiT-S: 152), so a fused or
``foreach`` optimizer runs its kernel once per parameter, and the per-group
Python work of ``step`` grows with the model. Here the parameters that share
every setting (lr, weight decay, lr scale...) are put in one group: DeiT's
schedule gets two (with and without weight decay), layer-wise lr decay one
or two per depth.
"""
from typing import Dict, Iterable, List, Optional, Union

from mmengine.optim import DefaultOptimWrapperConstructor
import torch
from torch import nn

from mmdeit.registry import OPTIM_WRAPPER_CONSTRUCTORS

# Keys that record how a setting was derived and do not set anything
# themselves (mmengine copies a ``custom_keys`` entry, multipliers included,
# into the group, and applies the multipliers to lr and weight_decay).
# Groups are merged regardless of them; a merged group keeps such a key
# only where all its parameters agree on it.
RECORD_KEYS = ('lr_mult', 'decay_mult', 'layer_id')


def merge_param_groups(groups: List[dict]) -> List[dict]:
    """Merge the param groups whose settings are equal.

    Args:
        groups: param groups (``dict(params=[...], **settings)``), e.g. one
            per parameter.
    Returns:
        One group per distinct setting, in order of first appearance, its
        parameters in their original order; keys of :data:`RECORD_KEYS` kept
        where all the merged parameters agree.
    """
    merged: Dict[tuple, dict] = {}
    records: Dict[tuple, List[dict]] = {}
    for group in groups:
        settings = {k: v for k, v in group.items()
                    if k != 'params' and k not in RECORD_KEYS}
        key = tuple(sorted((k, _hashable(v)) for k, v in settings.items()))
        if key not in merged:
            merged[key] = dict(settings, params=[])
            records[key] = []
        merged[key]['params'].extend(group['params'])
        records[key].append({k: group[k] for k in RECORD_KEYS if k in group})
    for key, group in merged.items():
        members = records[key]
        for name in RECORD_KEYS:
            values = {_hashable(m.get(name)) for m in members}
            if len(values) == 1 and name in members[0]:
                group[name] = members[0][name]
    return list(merged.values())


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ParamGroupsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor (same ``paramwise_cfg``), with the
    parameters that share every setting in one param group.

    Each group states its ``lr`` and ``weight_decay``; schedulers work
    unchanged (they iterate over the groups). A subclass changes the
    settings of a parameter by overriding :meth:`param_settings`.

    Config::

        optim_wrapper = dict(
            constructor='ParamGroupsOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05,
                           fused=True),
            paramwise_cfg=dict(flat_decay_mult=0.0))
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        if prefix:  # mmengine's recursion into the submodules
            return super().add_params(params, module, prefix, is_dcn_module)
        per_parameter: List[dict] = []
        super().add_params(per_parameter, module, prefix, is_dcn_module)
        names = {id(p): name for name, p in module.named_parameters()}
        for group in per_parameter:
            param, = group['params']
            group.setdefault('lr', self.base_lr)
            if self.base_wd is not None:
                group.setdefault('weight_decay', self.base_wd)
            self.param_settings(names[id(param)], group, module)
        params.extend(merge_param_groups(per_parameter))

    def param_settings(self, name: str, group: dict,
                       model: nn.Module) -> None:
        """Change, in place, the settings of the group of the single
        parameter ``name`` of ``model`` before the groups are merged. Here:
        nothing."""


def regroup_saved_state(saved: dict, optimizer: torch.optim.Optimizer,
                        params_in_order: Iterable[nn.Parameter]
                        ) -> Optional[dict]:
    """An optimizer state saved with one param group per parameter (as
    mmengine's constructor makes them, and mmdeit did before merging them),
    rearranged for ``optimizer``'s merged groups, so that a run checkpointed
    then resumes.

    Args:
        saved: the optimizer's ``state_dict()`` from the checkpoint (other
            keys, such as a loss scaler's, are kept).
        optimizer: the optimizer about to load it.
        params_in_order: the model's parameters in the order the
            per-parameter groups were made (``model.parameters()``).
    Returns:
        The rearranged state, each group's settings those saved for its
        parameters; None where ``saved`` is not such a state, or where the
        parameters of one merged group were saved with different settings
        (then the settings changed since, and loading must fail as it
        would).
    """
    groups = saved.get('param_groups')
    params = list(params_in_order)
    if not groups or len(groups) == len(optimizer.param_groups) or \
            len(groups) != len(params) or \
            any(len(group['params']) != 1 for group in groups):
        return None
    saved_group = {id(param): group for param, group in zip(params, groups)}
    state, new_groups, new_id = {}, [], 0
    for group in optimizer.param_groups:
        members = [saved_group.get(id(param)) for param in group['params']]
        if any(member is None for member in members):
            return None
        settings = [{k: v for k, v in member.items()
                     if k != 'params' and k not in RECORD_KEYS}
                    for member in members]
        if any(other != settings[0] for other in settings[1:]):
            return None
        ids = []
        for member in members:
            old_id, = member['params']
            if old_id in saved['state']:
                state[new_id] = saved['state'][old_id]
            ids.append(new_id)
            new_id += 1
        new_groups.append(dict(settings[0], params=ids))
    return dict(saved, state=state, param_groups=new_groups)


__all__ = ['ParamGroupsOptimWrapperConstructor', 'merge_param_groups',
           'regroup_saved_state']
