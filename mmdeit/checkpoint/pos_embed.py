"""Position-embedding resize, a tensor function shared by checkpoint
loading and the models."""
from typing import Sequence

import torch
import torch.nn.functional as F


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
