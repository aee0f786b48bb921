"""RegNet backbones (Radosavovic et al., "Designing Network Design Spaces",
2020); RegNetY-16GF is DeiT's teacher.

A RegNet is a stem (3x3 conv, stride 2, 32 channels) and four stages of
residual bottleneck blocks whose widths follow a quantised linear rule
(:func:`regnet_stage_widths`). RegNetY adds a squeeze-and-excitation unit to
every block; RegNetX is the same network without it (``se_ratio=0``).

Parameter names (all under ``backbone.`` in a classifier): ``stem.{conv,bn}``
and ``stages.{i}.{j}.{conv1,conv2,conv3,shortcut}.{conv,bn}``,
``stages.{i}.{j}.se.{fc1,fc2}``.
"""
import math
from typing import Dict, List, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdeit.registry import MODELS

# The RegNetY models of the paper (w0, wa, wm, depth, group width); the name
# gives the FLOPs at 224 px.
ARCH_SETTINGS: Dict[str, dict] = {
    name: dict(w0=w0, wa=wa, wm=wm, depth=depth, group_width=group_width,
               se_ratio=0.25, bottleneck_ratio=1.0)
    for name, (w0, wa, wm, depth, group_width) in {
        'regnety-200mf': (24, 36.44, 2.49, 13, 8),
        'regnety-400mf': (48, 27.89, 2.09, 16, 8),
        'regnety-600mf': (48, 32.54, 2.32, 15, 16),
        'regnety-800mf': (56, 38.84, 2.4, 14, 16),
        'regnety-1.6gf': (48, 20.71, 2.65, 27, 24),
        'regnety-3.2gf': (80, 42.63, 2.66, 21, 24),
        'regnety-4gf': (96, 31.41, 2.24, 22, 64),
        'regnety-6.4gf': (112, 33.22, 2.27, 25, 72),
        'regnety-8gf': (192, 76.82, 2.19, 17, 56),
        'regnety-12gf': (168, 73.36, 2.37, 19, 112),
        'regnety-16gf': (200, 106.23, 2.48, 18, 112),
        'regnety-32gf': (232, 115.89, 2.53, 20, 232),
    }.items()
}
ARCH_KEYS = ('w0', 'wa', 'wm', 'depth', 'group_width')


def parse_arch(arch: Union[str, dict]) -> dict:
    """The settings of ``arch``: a name of :data:`ARCH_SETTINGS` or a dict
    with w0, wa, wm, depth, group_width and optionally se_ratio (default 0,
    a RegNetX) and bottleneck_ratio (default 1)."""
    if isinstance(arch, str):
        if arch.lower() not in ARCH_SETTINGS:
            raise KeyError(f'unknown arch "{arch}"; choose one of '
                           f'{sorted(ARCH_SETTINGS)} or give a dict')
        return dict(ARCH_SETTINGS[arch.lower()])
    missing = [key for key in ARCH_KEYS if key not in arch]
    if missing:
        raise KeyError(f'arch dict lacks {missing}; it needs '
                       f'{list(ARCH_KEYS)}')
    settings = dict(se_ratio=0., bottleneck_ratio=1.0)
    settings.update(arch)
    return settings


def regnet_stage_widths(w0: int, wa: float, wm: float, depth: int,
                        group_width: int, bottleneck_ratio: float = 1.0,
                        quantum: int = 8
                        ) -> Tuple[List[int], List[int], List[int]]:
    """Per-stage (widths, depths, group widths) of a RegNet.

    Block j (of ``depth``) would have the width u_j = w0 + wa * j; it is
    snapped to w0 * wm^s_j with s_j = round(log(u_j / w0) / log(wm)) and
    rounded to a multiple of ``quantum``. Consecutive blocks of equal width
    form a stage. Finally each stage's bottleneck width is made a multiple
    of its group width (which cannot exceed the bottleneck width).
    """
    if not (wa >= 0 and w0 > 0 and wm > 1 and w0 % quantum == 0):
        raise ValueError(f'invalid RegNet parameters w0={w0}, wa={wa}, '
                         f'wm={wm} (need wa >= 0, wm > 1 and w0 a multiple '
                         f'of {quantum})')
    block_widths = []
    for j in range(depth):
        exponent = round(math.log((w0 + wa * j) / w0) / math.log(wm))
        block_widths.append(int(round(w0 * wm**exponent / quantum) * quantum))
    widths = sorted(set(block_widths))
    depths = [block_widths.count(width) for width in widths]
    groups, adjusted = [], []
    for width in widths:
        bottleneck = int(width * bottleneck_ratio)
        group = min(group_width, bottleneck)
        bottleneck = int(round(bottleneck / group) * group)
        groups.append(group)
        adjusted.append(int(bottleneck / bottleneck_ratio))
    return adjusted, depths, groups


class ConvBN(nn.Sequential):
    """Convolution without bias, BatchNorm, optionally ReLU.
    (N, C_in, H, W) -> (N, C_out, H / stride, W / stride)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, groups: int = 1, act: bool = True,
                 bn_eps: float = 1e-5):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              padding=kernel_size // 2, groups=groups,
                              bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=bn_eps)
        if act:
            self.act = nn.ReLU(inplace=True)


class SqueezeExcitation(nn.Module):
    """Channel gating: global average, 1x1 conv down to ``squeeze_channels``,
    ReLU, 1x1 conv back, sigmoid, multiply. (N, C, H, W) -> same."""

    def __init__(self, channels: int, squeeze_channels: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.fc2(self.act(self.fc1(x.mean((2, 3), keepdim=True))))
        return x * scale.sigmoid()


class RegNetBlock(nn.Module):
    """Residual bottleneck: 1x1 conv, 3x3 group conv (carrying the stride),
    squeeze-excitation (RegNetY), 1x1 conv; added to the shortcut (a
    strided 1x1 conv + BN where the shape changes), then ReLU.

    The squeeze width is ``se_ratio`` times the block's *input* width.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 group_width: int, bottleneck_ratio: float, se_ratio: float,
                 bn_eps: float = 1e-5):
        super().__init__()
        mid = int(round(out_channels * bottleneck_ratio))
        self.conv1 = ConvBN(in_channels, mid, 1, bn_eps=bn_eps)
        self.conv2 = ConvBN(mid, mid, 3, stride, groups=mid // group_width,
                            bn_eps=bn_eps)
        self.se = SqueezeExcitation(mid, int(round(in_channels * se_ratio))) \
            if se_ratio else nn.Identity()
        self.conv3 = ConvBN(mid, out_channels, 1, act=False, bn_eps=bn_eps)
        self.shortcut = nn.Identity() \
            if in_channels == out_channels and stride == 1 else \
            ConvBN(in_channels, out_channels, 1, stride, act=False,
                   bn_eps=bn_eps)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(self.se(self.conv2(self.conv1(x))))
        return self.act(out + self.shortcut(x))


@MODELS.register_module()
class RegNet(BaseModule):
    """RegNet backbone.

    Args:
        arch: a name of :data:`ARCH_SETTINGS` (e.g. 'regnety-16gf',
            'regnety-200mf') or a dict (see :func:`parse_arch`).
        in_channels: image channels.
        stem_channels: width of the stem.
        stem_stride: stride of the stem; 1 keeps small images (28 px) at a
            resolution where the last stage still sees a 2x2 map.
        out_indices: stages (0-3) whose output is returned.
        bn_eps: epsilon of every BatchNorm.
        init_cfg: mmengine initialisation config.

    ``forward``: images (N, 3, H, W) -> tuple of feature maps, one per out
    index, stage i of shape (N, widths[i], H / (s 2^(i+1)), W / (s 2^(i+1)))
    with s the stem stride (sizes rounded up).
    """

    def __init__(self,
                 arch: Union[str, dict] = 'regnety-16gf',
                 in_channels: int = 3,
                 stem_channels: int = 32,
                 stem_stride: int = 2,
                 out_indices: Union[int, Sequence[int]] = (3, ),
                 bn_eps: float = 1e-5,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        settings = parse_arch(arch)
        self.widths, self.depths, groups = regnet_stage_widths(
            settings['w0'], settings['wa'], settings['wm'], settings['depth'],
            settings['group_width'], settings['bottleneck_ratio'])
        if len(self.widths) != 4:
            raise ValueError(f'arch {arch} gives {len(self.widths)} stages; '
                             'a RegNet has 4')
        out_indices = (out_indices, ) if isinstance(out_indices, int) \
            else tuple(out_indices)
        if not all(0 <= i < 4 for i in out_indices):
            raise ValueError(f'out_indices {out_indices} must be in 0..3')
        self.out_indices = out_indices

        self.stem = ConvBN(in_channels, stem_channels, 3, stride=stem_stride,
                           bn_eps=bn_eps)
        stages = []
        previous = stem_channels
        for width, depth, group in zip(self.widths, self.depths, groups):
            stages.append(nn.Sequential(*[
                RegNetBlock(previous if j == 0 else width, width,
                            2 if j == 0 else 1, group,
                            settings['bottleneck_ratio'],
                            settings['se_ratio'], bn_eps)
                for j in range(depth)]))
            previous = width
        self.stages = nn.ModuleList(stages)

    @property
    def out_channels(self) -> List[int]:
        """Channels of each returned feature map."""
        return [self.widths[i] for i in self.out_indices]

    def init_weights(self) -> None:
        """He-normal convolutions (fan-out per group, as pycls), unit BN,
        and the last BN of each residual branch zeroed so that every block
        starts as its shortcut."""
        super().init_weights()
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_out = module.weight[0, 0].numel() * \
                    module.out_channels // module.groups
                nn.init.normal_(module.weight, std=math.sqrt(2.0 / fan_out))
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        for module in self.modules():
            if isinstance(module, RegNetBlock):
                nn.init.zeros_(module.conv3.bn.weight)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.stem(x)
        outs = []
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
