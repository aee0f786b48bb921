"""iNaturalist 2018/2019 read from COCO-style JSON written as distributed
(images, annotations, categories)."""
import json

import pytest

from mmdeit.datasets import INaturalist
from mmdeit.registry import DATASETS


def write_annotations(path, categories, images, annotations):
    path.write_text(json.dumps({
        'info': {'year': 2018}, 'licenses': [],
        'categories': [{'id': i, 'name': name, 'supercategory': 'Plantae'}
                       for i, name in categories],
        'images': [{'id': i, 'file_name': name, 'width': 8, 'height': 6}
                   for i, name in images],
        'annotations': [{'id': 100 + n, 'image_id': image, 'category_id': c}
                        for n, (image, c) in enumerate(annotations)]}))


@pytest.fixture
def inat_root(tmp_path):
    # categories listed out of order: the index follows the sorted ids
    categories = [(2, 'Rosa canina'), (0, 'Bellis perennis'),
                  (1, 'Quercus robur')]
    write_annotations(
        tmp_path / 'train2018.json', categories,
        [(7, 'train_val2018/Plantae/2/a.jpg'),
         (3, 'train_val2018/Plantae/0/b.jpg')],
        [(3, 0), (7, 2)])
    write_annotations(
        tmp_path / 'val2019.json', categories[:2],
        [(5, 'train_val2019/Plants/0/c.jpg')], [(5, 0)])
    return tmp_path


def test_train_2018(inat_root):
    dataset = DATASETS.build(dict(type='INaturalist',
                                  data_root=str(inat_root)))
    assert dataset.metainfo['classes'] == ('Bellis perennis', 'Quercus robur',
                                           'Rosa canina')
    assert [(info['img_path'], info['gt_label'])
            for info in map(dataset.get_data_info, range(2))] == [
        (str(inat_root / 'train_val2018/Plantae/2/a.jpg'), 2),
        (str(inat_root / 'train_val2018/Plantae/0/b.jpg'), 0)]


def test_val_2019(inat_root):
    dataset = INaturalist(data_root=str(inat_root), year=2019, split='val')
    assert dataset.metainfo['classes'] == ('Bellis perennis', 'Rosa canina')
    assert dataset.get_gt_labels().tolist() == [0]


def test_missing_and_malformed_files_are_named(inat_root):
    with pytest.raises(FileNotFoundError, match='val2018.json'):
        INaturalist(data_root=str(inat_root), split='val')
    path = inat_root / 'train2018.json'
    path.write_text('{"images": []')
    with pytest.raises(ValueError, match='train2018.json: not valid JSON'):
        INaturalist(data_root=str(inat_root))
    path.write_text('{"images": [], "categories": []}')
    with pytest.raises(ValueError,
                       match="train2018.json: no key 'annotations'"):
        INaturalist(data_root=str(inat_root))


def test_inconsistent_annotations_are_named(inat_root):
    path = inat_root / 'train2018.json'
    write_annotations(path, [(0, 'a')], [(1, 'x.jpg'), (2, 'y.jpg')],
                      [(1, 0)])
    with pytest.raises(ValueError, match=r'image 2 \(y.jpg\) has no annot'):
        INaturalist(data_root=str(inat_root))
    write_annotations(path, [(0, 'a')], [(1, 'x.jpg')], [(1, 5)])
    with pytest.raises(ValueError, match='category 5, which is not among'):
        INaturalist(data_root=str(inat_root))


def test_bad_year():
    with pytest.raises(ValueError, match='2017'):
        INaturalist(data_root='x', year=2017)
