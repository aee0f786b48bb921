"""Stanford Cars (Krause et al., 2013) from its devkit annotations."""
import os
from typing import List

import numpy as np

from mmdeit.registry import DATASETS
from .base_dataset import BaseDataset
from .dataset_files import find_file, load_mat, require_folder, \
    resolve_classes


@DATASETS.register_module()
class StanfordCars(BaseDataset):
    """Stanford Cars as distributed (``cars_train.tgz``, ``cars_test.tgz``,
    ``car_devkit.tgz`` and ``cars_test_annos_withlabels.mat``, from
    https://ai.stanford.edu/~jkrause/cars/car_dataset.html or its mirrors):
    8,144 training and 8,041 test images of 196 car models.

    Args:
        data_root: the folder holding ``cars_train/``, ``cars_test/`` and
            ``devkit/`` (``cars_meta.mat``, ``cars_train_annos.mat``). The
            test labels, ``cars_test_annos_withlabels.mat``, are looked for
            in ``devkit/`` and then in ``data_root``.
        split: 'train' or 'test'.
        **kwargs: ``pipeline``, ``test_mode``, ``classes``... of
            :class:`BaseDataset`.

    Class index = the annotations' ``class`` - 1; ``metainfo['classes']``
    holds the names of ``cars_meta.mat``. Whole images are used (the
    annotations' bounding boxes are not).
    """

    SPLITS = {'train': ('cars_train', 'cars_train_annos.mat'),
              'test': ('cars_test', 'cars_test_annos_withlabels.mat')}

    def __init__(self, data_root: str = '', split: str = 'train', **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {tuple(self.SPLITS)}, '
                             f'got {split!r}')
        self.split = split
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        folders = [os.path.join(self.data_root, 'devkit'), self.data_root]
        meta_path = find_file('cars_meta.mat', folders)
        names = [str(name) for name in np.atleast_1d(
            load_mat(meta_path, ['class_names'])['class_names'])]
        self._metainfo['classes'] = resolve_classes(
            self._metainfo.get('classes'), names, meta_path)

        image_dir, ann_name = self.SPLITS[self.split]
        image_folder = require_folder(os.path.join(self.data_root, image_dir),
                                      'Stanford Cars image folder')
        ann_path = find_file(ann_name, folders)
        annotations = np.atleast_1d(
            load_mat(ann_path, ['annotations'])['annotations'])
        fields = annotations.dtype.names or ()
        for field in ('fname', 'class'):
            if field not in fields:
                raise ValueError(
                    f'{ann_path}: the annotations have no {field!r} field '
                    f'(fields: {fields}); the test annotations without '
                    'labels (cars_test_annos.mat) cannot be used, take '
                    'cars_test_annos_withlabels.mat')
        data_list = []
        for index, annotation in enumerate(annotations):
            label = int(annotation['class'])
            if not 1 <= label <= len(names):
                raise ValueError(f'{ann_path}: annotation {index} has class '
                                 f'{label}, outside 1..{len(names)}')
            data_list.append(dict(
                img_path=os.path.join(image_folder, str(annotation['fname'])),
                gt_label=label - 1))
        return data_list
