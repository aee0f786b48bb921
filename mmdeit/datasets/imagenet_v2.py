"""ImageNetV2 (Recht et al., 2019, "Do ImageNet classifiers generalize to
ImageNet?"): 10,000 new test images of the ImageNet-1k classes."""
from typing import Dict, List

from mmdeit.registry import DATASETS
from .categories import IMAGENET_CATEGORIES
from .custom import CustomDataset


@DATASETS.register_module()
class ImageNetV2(CustomDataset):
    """ImageNetV2, as its archives unpack
    (``imagenetv2-matched-frequency-format-val/``, and likewise the
    threshold-0.7 and top-images variants): one folder per class, named by
    the ImageNet-1k class index, ``0/`` to ``999/``, 10 images each.

    The folder name is the label: ``'10'`` is class 10, although it sorts
    before ``'2'`` as a string (a class-folder reader that numbers the
    sorted folders would shift 990 of the 1000 classes). Samples are listed
    by class index, then file name.

    Args:
        data_root: the unpacked folder.
        **kwargs: as in :class:`CustomDataset` (``pipeline``...).

    ``metainfo['classes']`` is the ImageNet-1k class names in index order.
    """

    METAINFO = {'classes': IMAGENET_CATEGORIES}

    def _folder_to_index(self, folders: List[str]) -> Dict[str, int]:
        classes = len(self._metainfo['classes'])
        bad = [f for f in folders
               if not (f.isdigit() and int(f) < classes)]
        if bad:
            raise ValueError(
                f'ImageNetV2 class folders are named 0 to {classes - 1}; '
                f'{self.img_prefix!r} holds {bad[0]!r}')
        return {folder: int(folder) for folder in folders}

    def load_data_list(self) -> List[dict]:
        # sorted() is stable: within a class the files keep their order
        return sorted(super().load_data_list(),
                      key=lambda sample: sample['gt_label'])
