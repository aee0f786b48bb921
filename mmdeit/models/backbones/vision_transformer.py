"""DeiT backbones: the plain vision transformer and its distilled variant.

Parameter names (all under ``backbone.`` in a classifier):
``cls_token`` (1, 1, C), ``dist_token`` (1, 1, C, distilled only),
``pos_embed`` (1, T + h * w, C), ``patch_embed.projection``,
``layers.{i}.{ln1,attn.qkv,attn.proj,ln2,ffn.fc1,ffn.fc2}`` and ``norm``.
"""
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import nn

from mmdeit.registry import MODELS
from mmdeit.utils.config_errors import (ConfigValueError, check_choice,
                                        check_number, check_positive_int,
                                        did_you_mean, size_pair)
from ..utils import PatchEmbed, resize_pos_embed
from ..utils.attention import qkv_attention
from ..utils.fused import Linear, LinearGELU

ARCH_SETTINGS: Dict[str, dict] = {
    'deit-tiny': dict(embed_dims=192, num_layers=12, num_heads=3,
                      feedforward_channels=768),
    'deit-small': dict(embed_dims=384, num_layers=12, num_heads=6,
                       feedforward_channels=1536),
    'deit-base': dict(embed_dims=768, num_layers=12, num_heads=12,
                      feedforward_channels=3072),
}
ARCH_ALIASES = {'t': 'deit-tiny', 'tiny': 'deit-tiny', 's': 'deit-small',
                'small': 'deit-small', 'b': 'deit-base', 'base': 'deit-base'}
ARCH_KEYS = ('embed_dims', 'num_layers', 'num_heads', 'feedforward_channels')
OUT_TYPES = ('cls_token', 'featmap', 'avg_featmap', 'raw', 'both')


def parse_arch(arch: Union[str, dict], owner: Optional[str] = None) -> dict:
    """Return the four size settings of ``arch`` (a name or a dict),
    checked (:class:`ConfigValueError` naming ``arch`` or its entry)."""
    if isinstance(arch, str):
        name = ARCH_ALIASES.get(arch.lower(), arch.lower())
        if name not in ARCH_SETTINGS:
            raise ConfigValueError(
                'arch', arch, 'must be one of ' +
                ', '.join(map(repr, sorted(ARCH_SETTINGS))) +
                ' (or t/s/b), or a dict of ' + ', '.join(ARCH_KEYS) +
                did_you_mean(arch, ARCH_SETTINGS), owner)
        return dict(ARCH_SETTINGS[name])
    if not isinstance(arch, dict):
        raise ConfigValueError('arch', arch, 'must be a name or a dict of ' +
                               ', '.join(ARCH_KEYS), owner)
    missing = [key for key in ARCH_KEYS if key not in arch]
    if missing:
        raise ConfigValueError('arch', arch, f'a dict needs '
                               f'{", ".join(ARCH_KEYS)}; it lacks '
                               f'{", ".join(missing)}', owner)
    settings = {key: check_positive_int(f'arch.{key}', arch[key], owner)
                for key in ARCH_KEYS}
    if settings['embed_dims'] % settings['num_heads']:
        raise ConfigValueError(
            'arch.num_heads', settings['num_heads'], 'must be a positive int '
            f'that divides embed_dims ({settings["embed_dims"]})', owner)
    return settings


def _eps_of_norm_cfg(norm_cfg: dict) -> float:
    """The eps of a config written with the old ``norm_cfg``, with a
    warning that names its replacement."""
    if norm_cfg.get('type', 'LN') not in ('LN', 'LayerNorm'):
        raise ValueError(f'norm_cfg type {norm_cfg["type"]} is not '
                         'supported; DeiT uses LayerNorm ("LN")')
    eps = norm_cfg.get('eps', 1e-6)
    warnings.warn(f'backbone norm_cfg={norm_cfg} is deprecated: write '
                  f'norm_eps={eps}', DeprecationWarning, stacklevel=3)
    return eps


def check_settings(owner: str, arch, img_size, patch_size, in_channels,
                   out_type, drop_rate, attn_drop_rate, drop_path_rate,
                   norm_eps, qkv_bias, final_norm) -> dict:
    """The backbone's arguments checked (:class:`ConfigValueError` naming
    the argument, its value and what is allowed): the arch's sizes, with
    ``img_size`` and ``patch_size`` as pairs added."""
    settings = parse_arch(arch, owner)
    img = size_pair('img_size', img_size, owner)
    patch = size_pair('patch_size', patch_size, owner)
    if img[0] % patch[0] or img[1] % patch[1]:
        raise ConfigValueError('img_size', img_size, 'must be a multiple of '
                               f'patch_size {patch} on each side', owner)
    check_positive_int('in_channels', in_channels, owner)
    check_choice('out_type', out_type, OUT_TYPES, owner)
    for key, rate in (('drop_rate', drop_rate),
                      ('attn_drop_rate', attn_drop_rate),
                      ('drop_path_rate', drop_path_rate)):
        check_number(key, rate, owner, 0, 1, high_open=True)
    check_number('norm_eps', norm_eps, owner, 0, low_open=True)
    for key, flag in (('qkv_bias', qkv_bias), ('final_norm', final_norm)):
        check_choice(key, flag, (True, False), owner)
    return dict(settings, img_size=img, patch_size=patch)


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch of a sample with
    probability ``drop_prob`` during training, scaling survivors up."""

    def __init__(self, drop_prob: float = 0.):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0. or not self.training:
            return x
        keep = 1 - self.drop_prob
        mask = x.new_empty((x.shape[0], ) + (1, ) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask.div_(keep)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'


class MultiheadAttention(nn.Module):
    """Multi-head self-attention with one fused qkv projection.

    Shapes: (N, L, C) -> (N, L, C).
    """

    def __init__(self, embed_dims: int, num_heads: int, qkv_bias: bool = True,
                 attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.qkv = Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, channels = x.shape
        qkv = self.qkv(x).reshape(batch, length, 3, self.num_heads,
                                  self.head_dims)
        x = qkv_attention(
            qkv, dropout_p=self.attn_drop if self.training else 0.)
        x = x.transpose(1, 2).reshape(batch, length, channels)
        return self.proj_drop(self.proj(x))

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """softmax(q k^T / sqrt(d)) written out, for analysis;
        ``forward`` uses the fused kernel (which never forms these weights)
        except in bfloat16 training on the CPU.

        Shapes: (N, L, C), the block's normalised input -> (N, heads, L, L),
        each row summing to 1.
        """
        batch, length, _ = x.shape
        q, k, _ = self.qkv(x).reshape(batch, length, 3, self.num_heads,
                                      self.head_dims).permute(2, 0, 3, 1, 4)
        return (q @ k.transpose(-2, -1) * self.head_dims**-0.5).softmax(-1)


class FFN(nn.Module):
    """Two-layer MLP with (exact) GELU. Shapes: (N, L, C) -> (N, L, C).

    ``fc1`` applies the GELU itself (:class:`LinearGELU`, one fused kernel
    in CPU inference).
    """

    def __init__(self, embed_dims: int, feedforward_channels: int,
                 drop: float = 0.):
        super().__init__()
        self.fc1 = LinearGELU(embed_dims, feedforward_channels)
        self.fc2 = Linear(feedforward_channels, embed_dims)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.fc1(x))))


class TransformerEncoderLayer(nn.Module):
    """Pre-norm transformer block: x + attn(ln1(x)), then x + ffn(ln2(x))."""

    def __init__(self, embed_dims: int, num_heads: int,
                 feedforward_channels: int, drop_rate: float = 0.,
                 attn_drop_rate: float = 0., drop_path_rate: float = 0.,
                 qkv_bias: bool = True, norm_eps: float = 1e-6):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.attn = MultiheadAttention(embed_dims, num_heads, qkv_bias,
                                       attn_drop_rate, drop_rate)
        self.ln2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.ffn = FFN(embed_dims, feedforward_channels, drop_rate)
        self.drop_path = DropPath(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.ln1(x)))
        return x + self.drop_path(self.ffn(self.ln2(x)))


@MODELS.register_module()
class VisionTransformer(BaseModule):
    """Vision transformer with a class token, as DeiT trains it.

    Args:
        arch: 'deit-tiny' | 'deit-small' | 'deit-base' (or 't'/'s'/'b'), or a
            dict with embed_dims, num_layers, num_heads, feedforward_channels.
        img_size: the image size the position embedding is stored for. Any
            input whose sides are multiples of ``patch_size`` is accepted; the
            embedding is resized on the fly for other sizes.
        patch_size: side of a square patch, in pixels.
        in_channels: image channels.
        out_indices: layers whose output is returned (negative from the end).
        out_type: per returned layer, 'cls_token' (N, C) (for the distilled
            model a pair (class, distillation), each (N, C)); 'featmap'
            (N, C, h, w); 'avg_featmap' (N, C), the mean of the patch tokens;
            'raw' (N, T + h * w, C); 'both', the pair (tokens, featmap).
        drop_rate: dropout after the position embedding and in the blocks.
        attn_drop_rate: dropout on the attention weights.
        drop_path_rate: stochastic depth, rising linearly to this value over
            the layers.
        qkv_bias: bias in the qkv projection.
        norm_eps: epsilon of every LayerNorm; DeiT uses 1e-6, Hugging Face's
            converted models 1e-12.
        norm_cfg: deprecated spelling of ``norm_eps`` (MMPretrain's
            ``dict(type='LN', eps=...)``), still read from older configs.
        final_norm: apply the last LayerNorm to the last layer's output.
        interpolate_mode: how the position embedding is resized.
        init_cfg: mmengine initialisation config.
    """
    num_extra_tokens = 1
    # extra tokens with an entry in pos_embed (before the patches'): all
    num_pos_extra_tokens = 1

    def __init__(self,
                 arch: Union[str, dict] = 'deit-base',
                 img_size: Union[int, Sequence[int]] = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 out_type: str = 'cls_token',
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = True,
                 norm_eps: float = 1e-6,
                 final_norm: bool = True,
                 interpolate_mode: str = 'bicubic',
                 init_cfg: Optional[Union[dict, list]] = None,
                 norm_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if norm_cfg is not None:
            norm_eps = _eps_of_norm_cfg(norm_cfg)
        settings = check_settings(
            type(self).__name__, arch=arch, img_size=img_size,
            patch_size=patch_size, in_channels=in_channels, out_type=out_type,
            drop_rate=drop_rate, attn_drop_rate=attn_drop_rate,
            drop_path_rate=drop_path_rate, norm_eps=norm_eps,
            qkv_bias=qkv_bias, final_norm=final_norm)
        self.embed_dims = settings['embed_dims']
        self.num_layers = settings['num_layers']
        self.img_size = settings['img_size']
        self.patch_size = settings['patch_size']
        self.patch_resolution = (self.img_size[0] // self.patch_size[0],
                                 self.img_size[1] // self.patch_size[1])
        self.out_type = out_type
        self.out_indices = self._normalise_indices(out_indices)
        self.final_norm = final_norm
        self.interpolate_mode = interpolate_mode

        self.patch_embed = PatchEmbed(self.patch_size, in_channels,
                                      self.embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        self._add_extra_tokens()
        num_patches = self.patch_resolution[0] * self.patch_resolution[1]
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.num_pos_extra_tokens + num_patches,
                        self.embed_dims))
        self.drop_after_pos = nn.Dropout(drop_rate)

        rates = self._drop_path_rates(drop_path_rate)
        self.layers = nn.ModuleList(
            self._make_layer(
                self.embed_dims, settings['num_heads'],
                settings['feedforward_channels'], drop_rate, attn_drop_rate,
                rate, qkv_bias, norm_eps) for rate in rates)
        self.norm = nn.LayerNorm(self.embed_dims, eps=norm_eps) \
            if final_norm else nn.Identity()

    def _add_extra_tokens(self) -> None:
        """Hook for subclasses that learn tokens besides the class token."""

    def _drop_path_rates(self, drop_path_rate: float) -> List[float]:
        """Stochastic depth of each layer: rising linearly from 0 to
        ``drop_path_rate``."""
        return [drop_path_rate * i / max(self.num_layers - 1, 1)
                for i in range(self.num_layers)]

    def _make_layer(self, *args) -> nn.Module:
        """One encoder layer, from the arguments of
        :class:`TransformerEncoderLayer`."""
        return TransformerEncoderLayer(*args)

    def _normalise_indices(self, out_indices) -> Tuple[int, ...]:
        given = out_indices
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        normalised = []
        for index in out_indices:
            real = index + self.num_layers if index < 0 else index
            if not 0 <= real < self.num_layers:
                raise ConfigValueError(
                    'out_indices', given, f'each must be in '
                    f'[-{self.num_layers}, {self.num_layers}) for '
                    f'{self.num_layers} layers', type(self).__name__)
            normalised.append(real)
        return tuple(sorted(normalised))

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_cfg is not None and \
                self._is_pretrained_init(self.init_cfg):
            return
        trunc_normal_(self.pos_embed, std=0.02)
        for token in self.extra_tokens():
            trunc_normal_(token, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    @staticmethod
    def _is_pretrained_init(init_cfg) -> bool:
        cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
        return any(cfg.get('type') == 'Pretrained' for cfg in cfgs)

    def extra_tokens(self) -> Tuple[nn.Parameter, ...]:
        """The learnt tokens put before the patches, in order."""
        return (self.cls_token, )

    def embed(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Images (N, 3, H, W) -> tokens (N, T + h * w, C) with position
        embedding added, and the patch grid (h, w)."""
        x, grid = self.patch_embed(x)
        pos_embed = resize_pos_embed(self.pos_embed, self.patch_resolution,
                                     grid, self.num_extra_tokens,
                                     self.interpolate_mode)
        tokens = [token.expand(x.shape[0], -1, -1)
                  for token in self.extra_tokens()]
        x = torch.cat((*tokens, x), dim=1) + pos_embed
        return self.drop_after_pos(x), grid

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, 3, H, W) -> normalised tokens of the last layer
        (N, T + h * w, C)."""
        x, _ = self.embed(x)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)

    def forward(self, x: torch.Tensor) -> tuple:
        """Images (N, 3, H, W) -> a tuple with one entry per out index (see
        ``out_type``)."""
        x, grid = self.embed(x)
        outs = []
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index in self.out_indices:
                last = index == self.num_layers - 1
                outs.append(self._format_output(
                    self.norm(x) if last else x, grid))
        return tuple(outs)

    def _format_output(self, x: torch.Tensor, grid: Tuple[int, int]):
        if self.out_type == 'raw':
            return x
        patches = x[:, self.num_extra_tokens:]
        if self.out_type == 'avg_featmap':
            return patches.mean(dim=1)
        tokens = self._token_output(x)
        if self.out_type == 'cls_token':
            return tokens
        featmap = patches.reshape(x.shape[0], *grid, -1).permute(0, 3, 1, 2)
        if self.out_type == 'featmap':
            return featmap
        return tokens, featmap

    def _token_output(self, x: torch.Tensor):
        return x[:, 0]


@MODELS.register_module()
class DistilledVisionTransformer(VisionTransformer):
    """DeiT with a distillation token beside the class token.

    Takes the arguments of :class:`VisionTransformer`. With
    ``out_type='cls_token'`` each output is the pair (class token,
    distillation token), each (N, C).
    """
    num_extra_tokens = 2
    num_pos_extra_tokens = 2

    def _add_extra_tokens(self) -> None:
        self.dist_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))

    def extra_tokens(self) -> Tuple[nn.Parameter, ...]:
        return self.cls_token, self.dist_token

    def _token_output(self, x: torch.Tensor):
        return x[:, 0], x[:, 1]
