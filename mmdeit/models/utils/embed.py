"""Patch embedding and the position-embedding resize shared by models and
checkpoint loaders."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn


def resize_pos_embed(pos_embed: torch.Tensor,
                     src_shape: Sequence[int],
                     dst_shape: Sequence[int],
                     num_extra_tokens: int,
                     mode: str = 'bicubic') -> torch.Tensor:
    """Resize the patch-grid part of a position embedding.

    Args:
        pos_embed: (1, T + h * w, C), the ``T`` extra tokens first.
        src_shape: (h, w), the patch grid ``pos_embed`` was made for.
        dst_shape: (H, W), the patch grid wanted.
        num_extra_tokens: T, the class (and distillation) tokens, kept as is.
        mode: interpolation of ``F.interpolate`` (no anti-aliasing, corners
            not aligned, as the DeiT fine-tuning code does).

    Returns:
        (1, T + H * W, C), in the dtype of ``pos_embed``.
    """
    src_shape, dst_shape = tuple(src_shape), tuple(dst_shape)
    if pos_embed.ndim != 3:
        raise ValueError('pos_embed must have shape (1, L, C), got '
                         f'{tuple(pos_embed.shape)}')
    expected = num_extra_tokens + src_shape[0] * src_shape[1]
    if pos_embed.shape[1] != expected:
        raise ValueError(
            f'pos_embed has {pos_embed.shape[1]} tokens, but a {src_shape} '
            f'grid with {num_extra_tokens} extra tokens needs {expected}')
    if src_shape == dst_shape:
        return pos_embed
    extra = pos_embed[:, :num_extra_tokens]
    grid = pos_embed[:, num_extra_tokens:]
    channels = grid.shape[-1]
    grid = grid.reshape(1, *src_shape, channels).permute(0, 3, 1, 2)
    # Interpolate in float32: bicubic is not implemented for every half type.
    grid = F.interpolate(
        grid.float(), size=dst_shape, mode=mode, align_corners=False)
    grid = grid.to(pos_embed.dtype).flatten(2).transpose(1, 2)
    return torch.cat((extra, grid), dim=1)


def to_2tuple(value) -> Tuple[int, int]:
    if isinstance(value, int):
        return value, value
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f'expected an int or a pair, got {value}')
    return value


class PatchEmbed(nn.Module):
    """Split an image into non-overlapping patches and project each one.

    Args:
        patch_size: side of a square patch, in pixels.
        in_channels: image channels.
        embed_dims: output channels C.

    Shapes: (N, in_channels, H, W) -> (N, H / p * W / p, C), plus the grid
    (H / p, W / p).
    """

    def __init__(self, patch_size: int = 16, in_channels: int = 3,
                 embed_dims: int = 768):
        super().__init__()
        self.patch_size = to_2tuple(patch_size)
        self.projection = nn.Conv2d(
            in_channels, embed_dims, kernel_size=self.patch_size,
            stride=self.patch_size)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        height, width = x.shape[-2:]
        ph, pw = self.patch_size
        if height % ph or width % pw:
            raise ValueError(
                f'input size {height}x{width} is not a multiple of the patch '
                f'size {ph}x{pw}')
        x = self.projection(x)
        grid = (x.shape[2], x.shape[3])
        return x.flatten(2).transpose(1, 2), grid
