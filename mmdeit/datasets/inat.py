"""iNaturalist 2018 and 2019 (Van Horn et al., 2018) from their COCO-style
JSON annotations."""
import os
from typing import List

from mmdeit.registry import DATASETS
from .base_dataset import BaseDataset
from .dataset_files import load_json, resolve_classes


@DATASETS.register_module()
class INaturalist(BaseDataset):
    """iNaturalist 2018 (8,142 species) or 2019 (1,010 species), as
    distributed for the FGVC competitions
    (https://github.com/visipedia/inat_comp).

    Args:
        data_root: the folder holding ``train<year>.json``,
            ``val<year>.json`` and the images at the paths their
            ``file_name`` gives (``train_val<year>/...``).
        year: 2018 or 2019.
        split: 'train' or 'val' (the test set has no labels).
        **kwargs: ``pipeline``, ``test_mode``, ``classes``... of
            :class:`BaseDataset`.

    Class index: the position of the category id among the sorted ids
    (the id itself, as both years number them from 0 without gaps);
    ``metainfo['classes']`` holds the categories' names.
    """

    YEARS = (2018, 2019)
    SPLITS = ('train', 'val')

    def __init__(self, data_root: str = '', year: int = 2018,
                 split: str = 'train', **kwargs):
        if year not in self.YEARS:
            raise ValueError(f'year must be one of {self.YEARS}, got '
                             f'{year!r}')
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, got '
                             f'{split!r}')
        self.year, self.split = year, split
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        path = os.path.join(self.data_root, f'{self.split}{self.year}.json')
        content = load_json(path, ['images', 'annotations', 'categories'])
        try:
            categories = sorted(content['categories'],
                                key=lambda c: c['id'])
            index = {c['id']: i for i, c in enumerate(categories)}
            names = [str(c['name']) for c in categories]
            files = {image['id']: image['file_name']
                     for image in content['images']}
            labels = {a['image_id']: a['category_id']
                      for a in content['annotations']}
        except (KeyError, TypeError) as error:
            raise ValueError(f'{path}: an image, annotation or category '
                             f'entry lacks {error}') from error
        self._metainfo['classes'] = resolve_classes(
            self._metainfo.get('classes'), names, path)
        data_list = []
        for image_id, file_name in files.items():
            if image_id not in labels:
                raise ValueError(f'{path}: image {image_id} ({file_name}) '
                                 'has no annotation')
            if labels[image_id] not in index:
                raise ValueError(f'{path}: image {image_id} is annotated '
                                 f'with category {labels[image_id]}, which '
                                 'is not among the categories')
            data_list.append(dict(
                img_path=os.path.join(self.data_root, file_name),
                gt_label=index[labels[image_id]]))
        return data_list
