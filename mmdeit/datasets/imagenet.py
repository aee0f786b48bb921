"""ImageNet-1k (ILSVRC-2012)."""
import os
from typing import Dict, List, Union

from mmdeit.registry import DATASETS
from .categories import IMAGENET_CATEGORIES, IMAGENET_WNIDS
from .custom import CustomDataset

WNID_TO_INDEX = {wnid: i for i, wnid in enumerate(IMAGENET_WNIDS)}


@DATASETS.register_module()
class ImageNet(CustomDataset):
    """ImageNet-1k, laid out as ``data_root/{train,val,test}/`` with optional
    ``data_root/meta/{train,val,test}.txt`` annotation files.

    Args:
        data_root: the ImageNet folder.
        split: 'train', 'val' or 'test' (MMPretrain's convention): images
            under ``data_root/<split>``, listed by ``meta/<split>.txt`` when
            that file exists (``<path> <class index>`` lines, e.g. the flat
            val folder), else found in class folders named by WordNet id
            (``train/n01440764/*.JPEG``). 'test' is unlabelled. Leave it ''
            to give ``data_prefix``/``ann_file`` yourself.
        data_prefix, ann_file: override the split's defaults.
        **kwargs: as in :class:`CustomDataset`.

    ``metainfo['classes']`` is the 1000 class names in index order. A class
    folder's index is its WordNet id's (see ``categories.py``), so a subset
    of the folders keeps the ImageNet-1k indices.
    """

    METAINFO = {'classes': IMAGENET_CATEGORIES}
    SPLITS = ('train', 'val', 'test')

    def __init__(self,
                 data_root: str = '',
                 split: str = '',
                 data_prefix: Union[str, dict] = '',
                 ann_file: str = '',
                 **kwargs):
        if split:
            if split not in self.SPLITS:
                raise ValueError(
                    f'split must be one of {self.SPLITS}, got {split!r}')
            data_prefix = data_prefix or split
            meta_file = os.path.join('meta', f'{split}.txt')
            if not ann_file and os.path.isfile(
                    os.path.join(data_root, meta_file)):
                ann_file = meta_file
            if split == 'test':
                kwargs['with_label'] = False
        self.split = split
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file=ann_file,
            **kwargs)

    def _folder_to_index(self, folders: List[str]) -> Dict[str, int]:
        unknown = [folder for folder in folders if folder not in WNID_TO_INDEX]
        if unknown:
            raise ValueError(
                f'ImageNet class folders must be named by WordNet id (e.g. '
                f'n01440764); {os.path.join(self.img_prefix, unknown[0])!r} '
                'is not one of the 1000')
        return {folder: WNID_TO_INDEX[folder] for folder in folders}
