"""Images through a model's test pipeline, as the model sees them."""
import os
import os.path as osp
from typing import List, NamedTuple, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from torch import nn

from mmdeit.checkpoint import test_pipeline_of
from mmdeit.registry import DATASETS

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif',
                  '.tiff', '.webp')


class Batch(NamedTuple):
    """``inputs`` (N, 3, H, W) normalised for the model; ``images`` the same
    crops as RGB uint8 arrays (H, W, 3) for display; ``data_samples``."""
    inputs: torch.Tensor
    images: List[np.ndarray]
    data_samples: list


def find_images(paths: Sequence[str]) -> List[str]:
    """Image files among ``paths`` and, recursively, in the folders among
    them, sorted per folder."""
    found = []
    for path in paths:
        if osp.isdir(path):
            for folder, _, names in sorted(os.walk(path)):
                found += [osp.join(folder, name) for name in sorted(names)
                          if name.lower().endswith(IMAGE_SUFFIXES)]
        elif osp.isfile(path):
            found.append(path)
        else:
            raise FileNotFoundError(f'no such image or folder: {path}')
    if not found:
        raise FileNotFoundError(f'no images found in {list(paths)}')
    return found


def test_pipeline(cfg) -> Compose:
    """The transforms the config evaluates with."""
    from mmdeit.utils import register_all_modules
    register_all_modules()
    return Compose(test_pipeline_of(cfg))


def load_batch(model: nn.Module, paths: Sequence[str]) -> Batch:
    """Read ``paths`` with the test pipeline of ``model.cfg`` and normalise
    them with the model's data preprocessor."""
    pipeline = test_pipeline(model.cfg)
    data = pseudo_collate([pipeline(dict(img_path=path)) for path in paths])
    images = []
    for image in data['inputs']:
        image = image.permute(1, 2, 0).numpy()
        # the pipeline keeps cv2's BGR order (or one grey channel)
        image = image[..., ::-1] if image.shape[2] == 3 else \
            np.repeat(image, 3, axis=2)
        images.append(np.ascontiguousarray(image))
    data = model.data_preprocessor(data, training=False)
    return Batch(data['inputs'], images, data['data_samples'])


def true_labels(cfg, paths: Sequence[str],
                classes: Optional[Sequence[str]] = None
                ) -> List[Optional[int]]:
    """The class index of each image of ``paths`` where it is known: from
    the config's test set when the image is one of it, else from a parent
    folder named after a class of ``classes``; None otherwise (an image of
    your own)."""
    from mmdeit.utils import register_all_modules
    register_all_modules()
    where = {osp.realpath(path): index for index, path in enumerate(paths)}
    labels: List[Optional[int]] = [None] * len(paths)
    dataset_cfg = dict(cfg.test_dataloader.dataset, pipeline=[])
    try:
        dataset = DATASETS.build(dataset_cfg)
        infos = (dataset.get_data_info(i) for i in range(len(dataset)))
        for info in infos:
            index = where.get(osp.realpath(info.get('img_path', '')))
            if index is not None and info.get('gt_label') is not None:
                labels[index] = int(info['gt_label'])
    except (OSError, ValueError, KeyError):
        pass  # the test set is not on this machine
    names = {name: index for index, name in enumerate(classes or ())}
    for index, path in enumerate(paths):
        folder = osp.basename(osp.dirname(osp.abspath(path)))
        if labels[index] is None and folder in names:
            labels[index] = names[folder]
    return labels
