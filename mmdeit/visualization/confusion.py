"""Confusion matrices, one per head of a distilled model."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

# Score field of the predictions -> panel title.
HEAD_TITLES = {
    'pred_score': 'both heads',
    'pred_score_cls': 'class token',
    'pred_score_dist': 'distillation token',
    'pred_score_teacher': 'teacher',
}


def confusion_matrix(labels: torch.Tensor, predicted: torch.Tensor,
                     num_classes: int) -> torch.Tensor:
    """(K, K) counts: row = true class, column = predicted class."""
    if labels.shape != predicted.shape:
        raise ValueError(f'{labels.numel()} labels but {predicted.numel()} '
                         'predictions')
    if labels.numel() and int(labels.max()) >= num_classes:
        raise ValueError(f'label {int(labels.max())} is out of range for '
                         f'{num_classes} classes')
    flat = labels.long() * num_classes + predicted.long()
    return torch.bincount(flat, minlength=num_classes**2).reshape(
        num_classes, num_classes)


def head_matrices(predictions: Dict[str, object]
                  ) -> Dict[str, torch.Tensor]:
    """Panel title -> confusion matrix, for every head in ``predictions``
    (the columns that ``tools/test.py --out-item pred`` keeps)."""
    labels = predictions['gt_label']
    return {title: confusion_matrix(
        labels, predictions[field].argmax(dim=1),
        predictions[field].shape[1])
        for field, title in HEAD_TITLES.items() if field in predictions}


def confusion_figure(matrices: Dict[str, torch.Tensor],
                     classes: Optional[Sequence[str]] = None,
                     include_values: bool = True) -> Figure:
    """One panel per head: rows normalised to percent of the true class,
    with the accuracy in each title."""
    num_classes = next(iter(matrices.values())).shape[0]
    classes = list(classes) if classes else [str(i) for i in
                                             range(num_classes)]
    side = max(3.5, 0.42 * num_classes + 1.5)
    # two panels a row: four heads fit a page
    columns = min(2, len(matrices))
    rows = -(-len(matrices) // columns)
    fig = Figure(figsize=(side * columns + 0.8, side * rows),
                 layout='constrained')
    axes = fig.subplots(rows, columns, squeeze=False).flatten()
    for unused in axes[len(matrices):]:
        unused.set_axis_off()
    image = None
    for axis, (title, matrix) in zip(axes, matrices.items()):
        counts = matrix.double()
        percent = (100 * counts / counts.sum(1, keepdim=True).clamp_min(1))
        accuracy = 100 * counts.diag().sum() / counts.sum().clamp_min(1)
        image = axis.imshow(percent.numpy(), cmap='Blues', vmin=0, vmax=100)
        axis.set_title(f'{title}: top-1 {accuracy:.2f} %', fontsize=9)
        ticks = np.arange(num_classes)
        show_names = num_classes <= 30
        axis.set_xticks(ticks, classes if show_names else [], rotation=60,
                        ha='right', fontsize=7)
        axis.set_yticks(ticks, classes if show_names else [], fontsize=7)
        axis.set_xlabel('predicted')
        axis.set_ylabel('true')
        if include_values and num_classes <= 30:
            for row in range(num_classes):
                for col in range(num_classes):
                    value = percent[row, col].item()
                    if round(value) >= 1:
                        axis.text(col, row, f'{value:.0f}', ha='center',
                                  va='center', fontsize=6,
                                  color='white' if value > 50 else 'black')
    fig.colorbar(image, ax=list(axes), shrink=0.6,
                 label='% of the true class')
    return fig
