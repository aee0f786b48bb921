"""ImageNetV2: a class folder's name is its ImageNet-1k index."""
import cv2
import numpy as np
import pytest

from mmdeit.datasets import CustomDataset, ImageNetV2
from mmdeit.datasets.categories import IMAGENET_CATEGORIES

FOLDERS = ['0', '1', '2', '10', '100', '101', '999']


@pytest.fixture
def v2_root(tmp_path):
    root = tmp_path / 'imagenetv2-matched-frequency-format-val'
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True)
        for name in ('b.jpeg', 'a.jpeg'):
            cv2.imwrite(str(root / folder / name),
                        np.full((4, 4, 3), int(folder) % 256, np.uint8))
    return root


def test_labels_are_the_folder_numbers(v2_root):
    dataset = ImageNetV2(data_root=str(v2_root))
    labels = [dataset.get_data_info(i)['gt_label']
              for i in range(len(dataset))]
    # listed by class index (10 after 2, not after 1), then file name
    assert labels == sorted(int(f) for f in FOLDERS for _ in range(2))
    paths = [dataset.get_data_info(i)['img_path'] for i in range(4)]
    assert [p.split('/')[-2:] for p in paths] == [
        ['0', 'a.jpeg'], ['0', 'b.jpeg'], ['1', 'a.jpeg'], ['1', 'b.jpeg']]
    assert dataset.metainfo['classes'] == tuple(IMAGENET_CATEGORIES)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['img_path'].split('/')[-2] == str(info['gt_label'])


def test_sorted_strings_would_mislabel(v2_root):
    """What a generic class-folder reader does: folders numbered in string
    order, so '10' becomes class 2 and '2' class 5."""
    generic = CustomDataset(data_root=str(v2_root))
    index = {f: i for i, f in enumerate(generic.metainfo['classes'])}
    assert index['10'] == 2 and index['2'] == 5


def test_foreign_folder_is_named(v2_root):
    (v2_root / 'n01440764').mkdir()
    cv2.imwrite(str(v2_root / 'n01440764' / 'x.jpeg'),
                np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='n01440764'):
        ImageNetV2(data_root=str(v2_root))
