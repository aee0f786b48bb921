"""How far bf16 inference moves a model's predictions: the same weights run
in float32 and with ``precision='bf16'`` on the same images, through the
inferencer (the config's test pipeline)."""
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

import numpy as np
from torch import nn

from mmdeit.apis import ImageClassificationInferencer

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')


@dataclass
class Agreement:
    """fp32 against bf16 on ``images`` images."""
    images: int
    top1_agree: int
    max_score_diff: float
    # the smallest gap between fp32's first and second score among the
    # images whose arg-max bf16 changes (nan when none changes)
    closest_disagreement: float
    # images whose fp32 top-2 gap exceeds twice max_score_diff: there a
    # change of arg-max would mean a real error, not a near-tie
    clear: int
    clear_agree: int

    def text(self) -> str:
        return (f'top-1 agreement {self.top1_agree} / {self.images} '
                f'({self.top1_agree / self.images:.2%}); largest score '
                f'difference {self.max_score_diff:.2e}; where the fp32 top-2 '
                f'gap exceeds twice that: {self.clear_agree} / {self.clear} '
                'agree; smallest fp32 top-2 gap among the changed: '
                f'{self.closest_disagreement:.2e}')


def list_images(paths: Sequence[str]) -> List[str]:
    """Image files of ``paths`` (files, or folders searched recursively),
    sorted."""
    files = []
    for path in map(Path, paths):
        found = path.rglob('*') if path.is_dir() else [path]
        files += [str(p) for p in found
                  if p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise FileNotFoundError(f'no images ({", ".join(IMAGE_SUFFIXES)}) '
                                f'in {", ".join(map(str, paths))}')
    return sorted(files)


def compare(fp32: np.ndarray, bf16: np.ndarray) -> Agreement:
    """Agreement of two score arrays (images, classes)."""
    diff = float(np.abs(fp32 - bf16).max())
    top2 = np.sort(fp32, axis=1)[:, -2:]
    gap = top2[:, 1] - top2[:, 0]
    same = fp32.argmax(1) == bf16.argmax(1)
    clear = gap > 2 * diff
    return Agreement(len(fp32), int(same.sum()), diff,
                     float(gap[~same].min()) if (~same).any() else
                     float('nan'),
                     int(clear.sum()), int((same & clear).sum()))


def precision_agreement(model: nn.Module, images: Sequence[str],
                        batch_size: int = 16) -> Agreement:
    """Scores of ``model`` (built by ``get_model``, float32) on ``images``
    and of a bf16 copy of it; their agreement."""
    scores = {}
    for precision in ('fp32', 'bf16'):
        inferencer = ImageClassificationInferencer(copy.deepcopy(model),
                                                   precision=precision)
        results = inferencer(list(images), batch_size=batch_size,
                             show_progress=False)
        scores[precision] = np.stack([r['pred_scores'] for r in results])
    return compare(scores['fp32'], scores['bf16'])
