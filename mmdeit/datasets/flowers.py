"""Oxford Flowers-102 (Nilsback and Zisserman, 2008)."""
import os
from typing import List

import numpy as np

from mmdeit.registry import DATASETS
from .base_dataset import BaseDataset
from .dataset_files import load_mat, require_folder, resolve_classes

NUM_CLASSES = 102


@DATASETS.register_module()
class Flowers102(BaseDataset):
    """Oxford Flowers-102 as distributed at
    https://www.robots.ox.ac.uk/~vgg/data/flowers/102/: 8,189 images of 102
    flower categories.

    Args:
        data_root: the folder holding ``jpg/image_00001.jpg`` ... (from
            ``102flowers.tgz``), ``imagelabels.mat`` and ``setid.mat``.
        split: 'train', 'val' or 'test' (``setid.mat``'s ``trnid``,
            ``valid`` and ``tstid``: 1,020, 1,020 and 6,149 images), or
            'trainval' for the first two.
        **kwargs: ``pipeline``, ``test_mode``, ``classes``... of
            :class:`BaseDataset`.

    Class index = ``imagelabels.mat`` label - 1. The distribution names no
    classes, so ``metainfo['classes']`` is '1' ... '102' unless
    ``classes`` gives the names.
    """

    SPLIT_KEYS = {'train': ('trnid', ), 'val': ('valid', ),
                  'test': ('tstid', ), 'trainval': ('trnid', 'valid')}

    def __init__(self, data_root: str = '', split: str = 'train', **kwargs):
        if split not in self.SPLIT_KEYS:
            raise ValueError(f'split must be one of '
                             f'{tuple(self.SPLIT_KEYS)}, got {split!r}')
        self.split = split
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        image_folder = require_folder(os.path.join(self.data_root, 'jpg'),
                                      'Flowers-102 image folder')
        labels_path = os.path.join(self.data_root, 'imagelabels.mat')
        labels = np.atleast_1d(load_mat(labels_path, ['labels'])['labels'])
        labels = labels.astype(np.int64).ravel()
        if len(labels) == 0:
            raise ValueError(f'{labels_path}: no labels')
        if labels.min() < 1 or labels.max() > NUM_CLASSES:
            raise ValueError(f'{labels_path}: labels must be 1..'
                             f'{NUM_CLASSES}, found {labels.min()}..'
                             f'{labels.max()}')
        self._metainfo['classes'] = resolve_classes(
            self._metainfo.get('classes'),
            [str(i) for i in range(1, NUM_CLASSES + 1)], labels_path)

        setid_path = os.path.join(self.data_root, 'setid.mat')
        keys = self.SPLIT_KEYS[self.split]
        setid = load_mat(setid_path, keys)
        data_list = []
        for key in keys:
            ids = np.atleast_1d(setid[key]).astype(np.int64).ravel()
            outside = ids[(ids < 1) | (ids > len(labels))]
            if len(outside):
                raise ValueError(
                    f'{setid_path}: {key} holds image id {outside[0]}, but '
                    f'{labels_path} labels images 1..{len(labels)}')
            data_list.extend(
                dict(img_path=os.path.join(image_folder,
                                           f'image_{image_id:05d}.jpg'),
                     gt_label=int(labels[image_id - 1] - 1))
                for image_id in sorted(ids))
        return data_list
