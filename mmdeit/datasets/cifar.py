"""CIFAR-10 and CIFAR-100 (Krizhevsky, 2009) from their python pickles."""
import os
from typing import List

import numpy as np

from mmdeit.registry import DATASETS
from .base_dataset import BaseDataset
from .dataset_files import load_cifar_pickle, resolve_classes

IMAGE_SHAPE = (3, 32, 32)


@DATASETS.register_module()
class CIFAR10(BaseDataset):
    """CIFAR-10 as distributed in ``cifar-10-python.tar.gz``
    (https://www.cs.toronto.edu/~kriz/cifar.html): 50,000 training and
    10,000 test images, 32x32 colour, 10 classes.

    Args:
        data_root: the extracted folder (``cifar-10-batches-py``, holding
            ``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and
            ``batches.meta``), or the folder that holds it.
        split: 'train' or 'test'.
        **kwargs: ``pipeline``, ``test_mode``, ``classes``... of
            :class:`BaseDataset`.

    The images are kept in memory: each data info holds ``img``, an
    (32, 32, 3) uint8 array in BGR order (what ``LoadImageFromFile`` gives,
    so the usual ``data_preprocessor`` with ``to_rgb=True`` applies), and
    ``gt_label``. The pipeline starts without ``LoadImageFromFile``.
    """

    FOLDER = 'cifar-10-batches-py'
    SPLIT_FILES = {
        'train': [f'data_batch_{i}' for i in range(1, 6)],
        'test': ['test_batch'],
    }
    META_FILE = 'batches.meta'
    NAMES_KEY = 'label_names'
    LABELS_KEY = 'labels'

    def __init__(self, data_root: str = '', split: str = 'train', **kwargs):
        if split not in self.SPLIT_FILES:
            raise ValueError(f'split must be one of '
                             f'{tuple(self.SPLIT_FILES)}, got {split!r}')
        self.split = split
        super().__init__(data_root=data_root, **kwargs)

    def _files_folder(self) -> str:
        """``data_root``, or ``data_root/FOLDER`` when the files are
        there."""
        for folder in (self.data_root,
                       os.path.join(self.data_root, self.FOLDER)):
            if os.path.isfile(os.path.join(folder, self.META_FILE)):
                return folder
        raise FileNotFoundError(
            f'{type(self).__name__}: no {self.META_FILE} in '
            f'{self.data_root!r} nor in '
            f'{os.path.join(self.data_root, self.FOLDER)!r}; data_root must '
            f'be the extracted {self.FOLDER} folder (or hold it)')

    def load_data_list(self) -> List[dict]:
        folder = self._files_folder()
        meta_path = os.path.join(folder, self.META_FILE)
        meta = load_cifar_pickle(meta_path)
        if self.NAMES_KEY not in meta:
            raise ValueError(f'{meta_path}: no {self.NAMES_KEY!r} entry')
        names = list(meta[self.NAMES_KEY])
        self._metainfo['classes'] = resolve_classes(
            self._metainfo.get('classes'), names, meta_path)
        data_list = []
        for name in self.SPLIT_FILES[self.split]:
            images, labels = self._read_batch(os.path.join(folder, name),
                                              len(names))
            data_list.extend(dict(img=image, gt_label=int(label))
                             for image, label in zip(images, labels))
        return data_list

    def _read_batch(self, path: str, num_classes: int):
        """(N, 32, 32, 3) BGR images and (N, ) labels of one batch file."""
        batch = load_cifar_pickle(path)
        for key in ('data', self.LABELS_KEY):
            if key not in batch:
                raise ValueError(f'{path}: no {key!r} entry (it has '
                                 f'{sorted(batch)})')
        data = np.asarray(batch['data'])
        labels = np.asarray(batch[self.LABELS_KEY], dtype=np.int64)
        size = int(np.prod(IMAGE_SHAPE))
        if data.dtype != np.uint8 or data.ndim != 2 or \
                data.shape[1] != size:
            raise ValueError(f'{path}: data of shape {data.shape} and type '
                             f'{data.dtype}, expected (N, {size}) uint8')
        if len(labels) != len(data):
            raise ValueError(f'{path}: {len(data)} images but '
                             f'{len(labels)} labels')
        outside = labels[(labels < 0) | (labels >= num_classes)]
        if len(outside):
            raise ValueError(f'{path}: label {outside[0]} outside '
                             f'0..{num_classes - 1}')
        # rows are the red, green and blue planes, row-major
        images = data.reshape(-1, *IMAGE_SHAPE).transpose(0, 2, 3, 1)
        return np.ascontiguousarray(images[..., ::-1]), labels


@DATASETS.register_module()
class CIFAR100(CIFAR10):
    """CIFAR-100 as distributed in ``cifar-100-python.tar.gz``: 50,000
    training and 10,000 test images, 100 fine classes.

    Args:
        data_root: the extracted folder (``cifar-100-python``, holding
            ``train``, ``test`` and ``meta``), or the folder that holds it.
        split, **kwargs: as in :class:`CIFAR10`.

    Labels are the fine labels; the 20 coarse superclasses are not used.
    """

    FOLDER = 'cifar-100-python'
    SPLIT_FILES = {'train': ['train'], 'test': ['test']}
    META_FILE = 'meta'
    NAMES_KEY = 'fine_label_names'
    LABELS_KEY = 'fine_labels'
