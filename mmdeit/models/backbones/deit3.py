"""DeiT III (Touvron et al., "DeiT III: Revenge of the ViT", 2022): the
vision transformer with LayerScale on every residual branch and a position
embedding for the patches only.

Parameter names (under ``backbone.``) are those of
:class:`~.vision_transformer.VisionTransformer` plus
``layers.{i}.ls1.gamma`` (attention branch) and ``layers.{i}.ls2.gamma``
(MLP branch), each (C, ); ``pos_embed`` is (1, h * w, C).
"""
from typing import List, Tuple, Union

import torch
from torch import nn

from mmdeit.registry import MODELS
from ..utils import LayerScale, resize_pos_embed
from .vision_transformer import (ARCH_KEYS, TransformerEncoderLayer,
                                 VisionTransformer, parse_arch)

DEIT3_ARCH_SETTINGS = {
    'deit3-small': dict(embed_dims=384, num_layers=12, num_heads=6,
                        feedforward_channels=1536),
    'deit3-medium': dict(embed_dims=512, num_layers=12, num_heads=8,
                         feedforward_channels=2048),
    'deit3-base': dict(embed_dims=768, num_layers=12, num_heads=12,
                       feedforward_channels=3072),
    'deit3-large': dict(embed_dims=1024, num_layers=24, num_heads=16,
                        feedforward_channels=4096),
    'deit3-huge': dict(embed_dims=1280, num_layers=32, num_heads=16,
                       feedforward_channels=5120),
}
# MMPretrain's short names ('s', 'm', 'b', 'l', 'h') and long ones
DEIT3_ARCH_ALIASES = {
    alias: f'deit3-{size}' for size in ('small', 'medium', 'base', 'large',
                                        'huge')
    for alias in (size, size[0])
}


def parse_deit3_arch(arch: Union[str, dict]) -> dict:
    """The four size settings of a DeiT III ``arch`` (a name or a dict)."""
    if not isinstance(arch, str):
        return parse_arch(arch)
    name = DEIT3_ARCH_ALIASES.get(arch.lower(), arch.lower())
    if name not in DEIT3_ARCH_SETTINGS:
        raise KeyError(f'unknown DeiT III arch "{arch}"; choose one of '
                       f'{sorted(DEIT3_ARCH_SETTINGS)} (or s, m, b, l, h), '
                       f'or give a dict with {list(ARCH_KEYS)}')
    return dict(DEIT3_ARCH_SETTINGS[name])


class LayerScaleEncoderLayer(TransformerEncoderLayer):
    """Pre-norm block with LayerScale on both branches:
    x + drop_path(ls1(attn(ln1(x)))), then x + drop_path(ls2(ffn(ln2(x)))).

    Takes the arguments of :class:`TransformerEncoderLayer` and
    ``layer_scale_init_value``, the initial ``gamma`` of both branches.
    """

    def __init__(self, embed_dims: int, *args,
                 layer_scale_init_value: float = 1e-4, **kwargs):
        super().__init__(embed_dims, *args, **kwargs)
        self.ls1 = LayerScale(embed_dims, layer_scale_init_value)
        self.ls2 = LayerScale(embed_dims, layer_scale_init_value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.ls1(self.attn(self.ln1(x))))
        return x + self.drop_path(self.ls2(self.ffn(self.ln2(x))))


@MODELS.register_module()
class DeiT3(VisionTransformer):
    """The DeiT III vision transformer, as the official ``models_v2.py``
    builds it (``vit_models`` with ``Layer_scale_init_Block``).

    Besides :class:`VisionTransformer`:

    - LayerScale on each residual branch, starting at
      ``layer_scale_init_value`` (official: 1e-4; timm's ``deit3_*`` start
      at 1e-6, MMPretrain's at 1e-5);
    - the position embedding covers the patches only: it is added to them
      and the class token is put in front afterwards;
    - stochastic depth is the same ``drop_path_rate`` in every layer
      (the official ``dpr_constant``), not rising with depth.

    Args:
        arch: 'deit3-small' | 'deit3-medium' | 'deit3-base' | 'deit3-large'
            | 'deit3-huge' (or 's'/'m'/'b'/'l'/'h'), or a dict with
            embed_dims, num_layers, num_heads, feedforward_channels.
        layer_scale_init_value: initial LayerScale factor.
        **kwargs: the other arguments of :class:`VisionTransformer`
            (img_size, patch_size, drop_path_rate, out_type...).
    """
    # The class token gets no position: pos_embed is (1, h * w, C).
    num_pos_extra_tokens = 0

    def __init__(self, arch: Union[str, dict] = 'deit3-base',
                 layer_scale_init_value: float = 1e-4, **kwargs):
        # read by _make_layer during VisionTransformer.__init__
        self.layer_scale_init_value = layer_scale_init_value
        super().__init__(arch=parse_deit3_arch(arch), **kwargs)

    def _drop_path_rates(self, drop_path_rate: float) -> List[float]:
        return [drop_path_rate] * self.num_layers

    def _make_layer(self, *args) -> nn.Module:
        return LayerScaleEncoderLayer(
            *args, layer_scale_init_value=self.layer_scale_init_value)

    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Images (N, 3, H, W) -> tokens (N, 1 + h * w, C): the patches
        with their position embedding, after the class token; and the patch
        grid (h, w)."""
        x, grid = self.patch_embed(x)
        x = x + resize_pos_embed(self.pos_embed, self.patch_resolution, grid,
                                 0, self.interpolate_mode)
        tokens = [token.expand(x.shape[0], -1, -1)
                  for token in self.extra_tokens()]
        return self.drop_after_pos(torch.cat((*tokens, x), dim=1)), grid
