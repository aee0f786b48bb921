"""The attention picture of one image: the image, the rollout of each extra
token overlaid on it, and each token's row per layer and head."""
import textwrap
import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

TOKEN_NAMES = ('class token', 'distillation token')
SHORT_NAMES = ('cls', 'dist')
LEGEND = ('Grid: one row per layer; per token, one column per head. Each '
          'cell is the token\'s attention weights over the patch grid '
          '(colours scaled per cell; bright = more). Rollout (Abnar & '
          'Zuidema 2020): product over the layers of (mean over heads of '
          'A + I) / 2, rows renormalised; scaled to its maximum.')


def upsample(grid_map: torch.Tensor, size: Sequence[int]) -> np.ndarray:
    """(h, w) patch map -> (H, W) bilinear, scaled to [0, 1]."""
    grid_map = grid_map.float()
    grid_map = (grid_map - grid_map.min()) / (
        grid_map.max() - grid_map.min()).clamp_min(1e-12)
    return F.interpolate(grid_map[None, None], size=tuple(size),
                         mode='bilinear', align_corners=False)[0, 0].numpy()


def attention_title(path: str, predicted: int, true: Optional[int],
                    classes: Optional[Sequence[str]]) -> str:
    """'<file>: predicted <class>, true <class>' (the true class where it
    is known)."""
    def name(label: int) -> str:
        return classes[label] if classes else str(label)
    title = f'{osp.basename(path)}: predicted {name(predicted)}'
    return title if true is None else f'{title}, true {name(true)}'


def attention_figure(image: np.ndarray, rollout: torch.Tensor,
                     rows: torch.Tensor, title: str = '') -> Figure:
    """Draw the attention of one image.

    Args:
        image: (H, W, 3) RGB uint8, the crop the model saw.
        rollout: (T, h, w), each extra token's rollout over the patches.
        rows: (layers, heads, T, h, w), each token's attention row per layer
            and head (over the patches only).
        title: shown above the figure (e.g. the file and the prediction).
    """
    num_tokens = rollout.shape[0]
    layers, heads = rows.shape[:2]
    columns = heads * num_tokens
    width = max(2.2 * (1 + num_tokens) + 1, 1.1 * columns + 0.6)
    fig = Figure(figsize=(width, 2.9 + 1.1 * layers + 0.5),
                 layout='constrained')
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.9, 1.1 * layers])
    axes = top.subplots(1, 1 + num_tokens)
    axes[0].imshow(image)
    axes[0].set_title('input', fontsize=9)
    overlay = None
    for token in range(num_tokens):
        axes[token + 1].imshow(image)
        overlay = axes[token + 1].imshow(
            upsample(rollout[token], image.shape[:2]), cmap='jet',
            alpha=0.5, vmin=0, vmax=1)
        axes[token + 1].set_title(f'rollout\n{TOKEN_NAMES[token]}',
                                  fontsize=9)
    top.colorbar(overlay, ax=list(axes), shrink=0.8,
                 label='rollout / max')
    if title:
        top.suptitle(title, fontsize=9)
    cells = bottom.subplots(layers, columns, squeeze=False)
    for layer in range(layers):
        for token in range(num_tokens):
            for head in range(heads):
                axis = cells[layer, token * heads + head]
                axis.imshow(rows[layer, head, token].float().numpy(),
                            cmap='viridis')
                if layer == 0:
                    axis.set_title(f'{SHORT_NAMES[token]} head {head}',
                                   fontsize=7)
                if token == 0 and head == 0:
                    axis.set_ylabel(f'layer {layer}', fontsize=7)
    characters = int(width * 14)
    bottom.supxlabel('\n'.join(textwrap.wrap(LEGEND, characters)),
                     fontsize=7)
    for axis in fig.axes:
        if axis.get_label() != '<colorbar>':
            axis.set_xticks([])
            axis.set_yticks([])
    return fig
