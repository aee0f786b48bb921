"""Layer-wise lr decay for fine-tuning a vision transformer (as BEiT and
MMPretrain fine-tune): the deeper a block, the larger its lr."""
import logging

from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from torch import nn

from mmdeit.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmdeit.utils.config_errors import check_number
from .param_groups import ParamGroupsOptimWrapperConstructor

# Backbone parameters below the first block: they sit at depth 0.
EMBEDDINGS = ('cls_token', 'dist_token', 'pos_embed', 'patch_embed.')


def layer_depth(name: str, num_layers: int) -> int:
    """Depth of a classifier's parameter in a ViT of ``num_layers`` blocks:
    0 for the embeddings (patch embedding, class and distillation tokens,
    position embedding), ``i + 1`` for block ``i`` (``backbone.layers.i.``),
    ``num_layers + 1`` for the rest (final norm, neck, head)."""
    if name.startswith('backbone.'):
        local = name[len('backbone.'):]
        if local.startswith(EMBEDDINGS):
            return 0
        if local.startswith('layers.'):
            return int(local.split('.')[1]) + 1
    return num_layers + 1


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(ParamGroupsOptimWrapperConstructor):
    """mmengine's default constructor, with each parameter's lr multiplied
    by ``layer_decay_rate ** (num_layers + 1 - depth)`` (see
    :func:`layer_depth`): the head keeps the base lr, block ``i`` gets
    ``rate ** (num_layers - i)``, the embeddings ``rate ** (num_layers +
    1)``.

    Config, e.g. over a DeiT config (whose ``paramwise_cfg`` keeps DeiT's
    groups without weight decay, merged with this)::

        optim_wrapper = dict(
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.65))

    Args:
        optim_wrapper_cfg: as for ``DefaultOptimWrapperConstructor``.
        paramwise_cfg: ``layer_decay_rate`` (in (0, 1]) and any option of
            ``DefaultOptimWrapperConstructor`` (``flat_decay_mult``,
            ``custom_keys``...); a ``custom_keys`` ``lr_mult`` multiplies
            with the layer's scale.

    The model needs a ``backbone`` with its blocks in ``backbone.layers``
    (mmdeit's ``VisionTransformer``). As with
    :class:`ParamGroupsOptimWrapperConstructor`, parameters sharing every
    setting share a group: one or two groups per depth (with and without
    weight decay). Each group records its ``layer_id`` (the depth) and its
    ``lr_scale`` (the decay factor, already applied to its ``lr``).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict = None):
        rate = (paramwise_cfg or {}).get('layer_decay_rate')
        check_number('paramwise_cfg.layer_decay_rate', rate,
                     type(self).__name__, 0, 1, low_open=True)
        # layer_decay_rate stays in paramwise_cfg, which mmengine's code
        # ignores but which makes it build param groups
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self.layer_decay_rate = rate

    def __call__(self, model: nn.Module) -> OptimWrapper:
        model = getattr(model, 'module', model)
        layers = getattr(getattr(model, 'backbone', None), 'layers', None)
        if not isinstance(layers, nn.ModuleList):
            raise TypeError('layer-wise lr decay needs a model whose blocks '
                            'are backbone.layers (a VisionTransformer), got '
                            f'{type(model).__name__}')
        self.num_layers = len(layers)
        wrapper = super().__call__(model)
        lowest = self.layer_decay_rate**(self.num_layers + 1)
        print_log(f'layer-wise lr decay {self.layer_decay_rate} over '
                  f'{self.num_layers} blocks: lr x {lowest:.3g} for the '
                  'embeddings up to x 1 for the head', logger='current',
                  level=logging.INFO)
        return wrapper

    def param_settings(self, name: str, group: dict,
                       model: nn.Module) -> None:
        depth = layer_depth(name, self.num_layers)
        scale = self.layer_decay_rate**(self.num_layers + 1 - depth)
        group.update(lr=group['lr'] * scale, layer_id=depth, lr_scale=scale)
