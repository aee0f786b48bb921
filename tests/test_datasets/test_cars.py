"""Stanford Cars read from devkit annotations written as distributed:
cars_meta.mat (class_names, 1 x C cell) and cars_*_annos.mat (a 1 x N
struct array with bbox_x1..bbox_y2, class, fname)."""
import numpy as np
import pytest
from scipy.io import savemat

from mmdeit.datasets import StanfordCars

NAMES = ['AM General Hummer SUV 2000', 'Acura RL Sedan 2012',
         'Acura TL Sedan 2012']
FIELDS = ('bbox_x1', 'bbox_y1', 'bbox_x2', 'bbox_y2', 'class', 'fname')


def annotations(rows, fields=FIELDS):
    """A 1 x N MATLAB struct array of (class, fname) rows."""
    array = np.zeros((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for i, (label, fname) in enumerate(rows):
        values = {'bbox_x1': 1.0, 'bbox_y1': 2.0, 'bbox_x2': 30.0,
                  'bbox_y2': 20.0, 'class': float(label), 'fname': fname}
        array[0, i] = tuple(values[f] for f in fields)
    return array


@pytest.fixture
def cars_root(tmp_path):
    for folder in ('devkit', 'cars_train', 'cars_test'):
        (tmp_path / folder).mkdir()
    names = np.empty((1, len(NAMES)), dtype=object)
    names[0, :] = NAMES
    savemat(tmp_path / 'devkit' / 'cars_meta.mat', {'class_names': names})
    savemat(tmp_path / 'devkit' / 'cars_train_annos.mat',
            {'annotations': annotations([(3, '00001.jpg'), (1, '00002.jpg'),
                                         (2, '00003.jpg')])})
    # distributed on its own: found next to devkit/ too
    savemat(tmp_path / 'cars_test_annos_withlabels.mat',
            {'annotations': annotations([(2, '00001.jpg')])})
    return tmp_path


def entries(dataset):
    return [(info['img_path'], info['gt_label'])
            for info in map(dataset.get_data_info, range(len(dataset)))]


def test_train_and_test_splits(cars_root):
    train = StanfordCars(data_root=str(cars_root), split='train')
    assert train.metainfo['classes'] == tuple(NAMES)
    assert entries(train) == [
        (str(cars_root / 'cars_train' / '00001.jpg'), 2),
        (str(cars_root / 'cars_train' / '00002.jpg'), 0),
        (str(cars_root / 'cars_train' / '00003.jpg'), 1)]
    test = StanfordCars(data_root=str(cars_root), split='test')
    assert entries(test) == [(str(cars_root / 'cars_test' / '00001.jpg'), 1)]


def test_missing_test_labels_name_both_places(cars_root):
    (cars_root / 'cars_test_annos_withlabels.mat').unlink()
    with pytest.raises(FileNotFoundError,
                       match='cars_test_annos_withlabels.mat') as error:
        StanfordCars(data_root=str(cars_root), split='test')
    assert str(cars_root / 'devkit') in str(error.value)


def test_unlabelled_test_annotations_are_refused(cars_root):
    savemat(cars_root / 'cars_test_annos_withlabels.mat',
            {'annotations': annotations(
                [(1, '00001.jpg')],
                fields=('bbox_x1', 'bbox_y1', 'bbox_x2', 'bbox_y2',
                        'fname'))})
    with pytest.raises(ValueError, match="no 'class' field"):
        StanfordCars(data_root=str(cars_root), split='test')


def test_bad_class_and_missing_folder_are_named(cars_root):
    savemat(cars_root / 'devkit' / 'cars_train_annos.mat',
            {'annotations': annotations([(4, '00001.jpg')])})
    with pytest.raises(ValueError,
                       match='annotation 0 has class 4, outside 1..3'):
        StanfordCars(data_root=str(cars_root))
    (cars_root / 'cars_test').rmdir()
    with pytest.raises(FileNotFoundError, match='cars_test'):
        StanfordCars(data_root=str(cars_root), split='test')
