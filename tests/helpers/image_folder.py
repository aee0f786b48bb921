"""Tiny image-folder datasets in the layout CustomDataset reads, and the
runner checkpoints trained on them."""
from pathlib import Path
from typing import Sequence, Tuple

import cv2
import numpy as np
import torch

from mmdeit.checkpoint import allow_runner_checkpoints


def write_image_folder(root: Path, classes: int,
                       splits: Sequence[Tuple[str, int]] = (('train', 4),
                                                            ('val', 1)),
                       size: Tuple[int, int] = (20, 24),
                       formats: Sequence[str] = ('png', )) -> Path:
    """``root/<split>/class_<k>/<i>.<format>``: for each ``(split, count)``
    of ``splits``, ``count`` noisy images of ``size`` (H, W) per class, the
    brighter the higher the class; image ``i`` is written in format
    ``formats[i % len(formats)]``. Returns ``root``."""
    rng = np.random.default_rng(0)
    for split, count in splits:
        for label in range(classes):
            folder = root / split / f'class_{label}'
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                image = rng.normal(60 * label + 40, 30, (*size, 3))
                suffix = formats[index % len(formats)]
                cv2.imwrite(str(folder / f'{index}.{suffix}'),
                            np.clip(image, 0, 255).astype(np.uint8))
    return root


def read_runner_checkpoint(path) -> dict:
    """A checkpoint the runner saved, read with ``weights_only``."""
    with allow_runner_checkpoints():
        return torch.load(path, map_location='cpu', weights_only=True)
