"""mmengine's ``BaseDataset`` for image classification."""
import os
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset as MMEngineBaseDataset

from mmdeit.registry import TRANSFORMS
from .fetching import SampleFetchMixin


def read_class_names(classes: Union[str, Sequence[str]]) -> tuple:
    """Class names from a sequence, or from a text file of one per line."""
    if not isinstance(classes, str):
        return tuple(classes)
    if not os.path.isfile(classes):
        raise FileNotFoundError(f'classes file {classes!r} does not exist')
    with open(classes) as f:
        return tuple(line.strip() for line in f if line.strip())


class BaseDataset(SampleFetchMixin, MMEngineBaseDataset):
    """A classification dataset: each data info holds ``img_path`` and, when
    labelled, ``gt_label`` (int class index); ``metainfo['classes']`` holds
    the class names in index order when they are known.

    Args:
        ann_file: annotation file, relative to ``data_root`` unless absolute.
        metainfo: meta information, e.g. ``dict(classes=(...))``.
        data_root: root of ``ann_file`` and ``data_prefix``.
        data_prefix: image folder, relative to ``data_root`` unless absolute
            (a str, or mmengine's ``dict(img_path=...)``).
        classes: class names, or a text file of one name per line;
            overrides ``metainfo['classes']``.
        pipeline: transforms, as configs (built from mmdeit's TRANSFORMS) or
            callables.
        test_mode, lazy_init, **kwargs: as in mmengine's ``BaseDataset``
            (``filter_cfg``, ``indices``, ``serialize_data``, ``max_refetch``).

    Samples are fetched by :class:`mmdeit.datasets.fetching.SampleFetchMixin`:
    seeded per sample, and in training an unreadable image is replaced by
    another sample.
    """

    def __init__(self,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 classes: Union[str, Sequence[str], None] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 **kwargs):
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        metainfo = dict(metainfo or {})
        if classes is not None:
            metainfo['classes'] = read_class_names(classes)
        transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t
                      for t in pipeline]
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=transforms,
            test_mode=test_mode,
            lazy_init=lazy_init,
            **kwargs)

    @property
    def img_prefix(self) -> str:
        """The image folder, joined with ``data_root``."""
        return self.data_prefix['img_path']

    def get_gt_labels(self) -> np.ndarray:
        """Class index of every sample, shape (len(self), )."""
        return np.array([self.get_data_info(i)['gt_label']
                         for i in range(len(self))], dtype=np.int64)

    def get_cat_ids(self, idx: int) -> List[int]:
        """[class index] of sample ``idx`` (used by mmengine's
        ``ClassBalancedDataset``)."""
        return [int(self.get_data_info(idx)['gt_label'])]
