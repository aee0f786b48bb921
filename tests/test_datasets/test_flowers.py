"""Oxford Flowers-102 read from jpg/ + imagelabels.mat + setid.mat written
as distributed (1 x N double arrays, 1-based labels and image ids)."""
import cv2
import numpy as np
import pytest
from scipy.io import savemat

from mmdeit.datasets import Flowers102
from mmdeit.registry import DATASETS

# image id -> label (1-based) of the 8 images written
LABELS = [1, 102, 5, 5, 17, 1, 2, 3]
SETID = {'trnid': [3, 1], 'valid': [2, 8], 'tstid': [4, 5, 6, 7]}


@pytest.fixture
def flowers_root(tmp_path):
    (tmp_path / 'jpg').mkdir()
    for image_id in range(1, len(LABELS) + 1):
        image = np.full((6, 8, 3), image_id * 10, np.uint8)
        cv2.imwrite(str(tmp_path / 'jpg' / f'image_{image_id:05d}.jpg'),
                    image)
    savemat(tmp_path / 'imagelabels.mat',
            {'labels': np.array([LABELS], dtype=np.float64)})
    savemat(tmp_path / 'setid.mat',
            {key: np.array([ids], dtype=np.float64)
             for key, ids in SETID.items()})
    return tmp_path


def entries(dataset):
    return [(info['img_path'].rsplit('/', 1)[-1], info['gt_label'])
            for info in map(dataset.get_data_info, range(len(dataset)))]


@pytest.mark.parametrize('split, expected', [
    ('train', [('image_00001.jpg', 0), ('image_00003.jpg', 4)]),
    ('val', [('image_00002.jpg', 101), ('image_00008.jpg', 2)]),
    ('trainval', [('image_00001.jpg', 0), ('image_00003.jpg', 4),
                  ('image_00002.jpg', 101), ('image_00008.jpg', 2)]),
    ('test', [('image_00004.jpg', 4), ('image_00005.jpg', 16),
              ('image_00006.jpg', 0), ('image_00007.jpg', 1)]),
])
def test_splits_and_labels(flowers_root, split, expected):
    dataset = Flowers102(data_root=str(flowers_root), split=split)
    assert entries(dataset) == expected
    assert dataset.metainfo['classes'][0] == '1'
    assert len(dataset.metainfo['classes']) == 102


def test_images_load_through_the_registry(flowers_root):
    dataset = DATASETS.build(dict(
        type='Flowers102', data_root=str(flowers_root), split='val',
        test_mode=True,
        pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
    sample = dataset[1]  # image 8
    assert tuple(sample['inputs'].shape) == (3, 6, 8)
    assert abs(float(sample['inputs'].float().mean()) - 80) < 2
    assert int(sample['data_samples'].gt_label) == 2


def test_class_names_given_must_count_102(flowers_root):
    names = tuple(f'flower {i}' for i in range(102))
    dataset = Flowers102(data_root=str(flowers_root), classes=names)
    assert dataset.metainfo['classes'] == names
    with pytest.raises(ValueError, match='3 class names given.*102'):
        Flowers102(data_root=str(flowers_root), classes=('a', 'b', 'c'))


@pytest.mark.parametrize('name', ['imagelabels.mat', 'setid.mat'])
def test_missing_annotation_file_is_named(flowers_root, name):
    (flowers_root / name).unlink()
    with pytest.raises(FileNotFoundError, match=name):
        Flowers102(data_root=str(flowers_root))


def test_missing_image_folder_is_named(flowers_root, tmp_path):
    for path in (flowers_root / 'jpg').iterdir():
        path.unlink()
    (flowers_root / 'jpg').rmdir()
    with pytest.raises(FileNotFoundError, match='jpg'):
        Flowers102(data_root=str(flowers_root))


def test_malformed_files_are_named(flowers_root):
    savemat(flowers_root / 'setid.mat', {'trnid': np.array([[1.0]])})
    with pytest.raises(ValueError, match=r"setid.mat: no variable 'tstid'"):
        Flowers102(data_root=str(flowers_root), split='test')
    savemat(flowers_root / 'setid.mat', {'trnid': np.array([[9.0]])})
    with pytest.raises(ValueError, match='setid.mat: trnid holds image id 9'):
        Flowers102(data_root=str(flowers_root))
    # the id at fault, below the range as above it
    savemat(flowers_root / 'setid.mat', {'trnid': np.array([[0.0, 2.0]])})
    with pytest.raises(ValueError, match='setid.mat: trnid holds image id 0,'):
        Flowers102(data_root=str(flowers_root))
    savemat(flowers_root / 'imagelabels.mat', {'labels': np.array([[0.0]])})
    with pytest.raises(ValueError, match='imagelabels.mat: labels must be'):
        Flowers102(data_root=str(flowers_root))
    (flowers_root / 'imagelabels.mat').write_text('not a mat file')
    with pytest.raises(ValueError, match='imagelabels.mat: not a readable'):
        Flowers102(data_root=str(flowers_root))
