"""CIFAR-10/100 read from python pickles written in the distributed
format (a dict per file: 'data' (N, 3072) uint8 planes R, G, B, and the
labels; the names in batches.meta / meta)."""
import os
import pickle

import numpy as np
import pytest

from mmdeit.datasets import CIFAR10, CIFAR100
from mmdeit.registry import DATASETS


def write_pickle(path, content):
    with open(path, 'wb') as f:
        pickle.dump(content, f, protocol=2)


def images_with_pixel(count, rng):
    """(count, 3072) uint8 rows; pixel (row 1, col 2) of image i is
    (R, G, B) = (i, 100 + i, 200 - i)."""
    planes = rng.integers(0, 256, (count, 3, 32, 32), dtype=np.uint8)
    for i in range(count):
        planes[i, :, 1, 2] = (i, 100 + i, 200 - i)
    return planes.reshape(count, -1)


@pytest.fixture
def cifar10_root(tmp_path):
    folder = tmp_path / 'cifar-10-batches-py'
    folder.mkdir()
    rng = np.random.default_rng(0)
    names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
             'horse', 'ship', 'truck']
    write_pickle(folder / 'batches.meta',
                 {'label_names': names, 'num_vis': 3072})
    for i in range(1, 6):
        write_pickle(folder / f'data_batch_{i}',
                     {'data': images_with_pixel(3, rng),
                      'labels': [i, i + 1, 9], 'batch_label': f'batch {i}'})
    write_pickle(folder / 'test_batch',
                 {'data': images_with_pixel(4, rng), 'labels': [0, 1, 2, 3]})
    return tmp_path


def test_cifar10_reads_all_train_batches_in_memory(cifar10_root):
    # data_root may be the extracted folder's parent or the folder itself
    for root in (cifar10_root, cifar10_root / 'cifar-10-batches-py'):
        dataset = CIFAR10(data_root=str(root), split='train')
        assert len(dataset) == 15
        assert dataset.metainfo['classes'][:2] == ('airplane', 'automobile')
        np.testing.assert_array_equal(
            dataset.get_gt_labels(),
            [label for i in range(1, 6) for label in (i, i + 1, 9)])
    info = dataset.get_data_info(4)  # second image of data_batch_2
    assert 'img_path' not in info
    assert info['img'].shape == (32, 32, 3) and info['img'].dtype == np.uint8
    # BGR, as LoadImageFromFile gives
    np.testing.assert_array_equal(info['img'][1, 2], (200 - 1, 100 + 1, 1))


def test_cifar10_test_split_through_the_registry_and_pipeline(cifar10_root):
    dataset = DATASETS.build(dict(
        type='CIFAR10', data_root=str(cifar10_root), split='test',
        test_mode=True, pipeline=[dict(type='PackInputs')]))
    assert len(dataset) == 4
    sample = dataset[3]
    assert tuple(sample['inputs'].shape) == (3, 32, 32)
    assert sample['inputs'][:, 1, 2].tolist() == [197, 103, 3]
    assert int(sample['data_samples'].gt_label) == 3


def test_cifar100_uses_fine_labels(tmp_path):
    folder = tmp_path / 'cifar-100-python'
    folder.mkdir()
    rng = np.random.default_rng(1)
    fine = [f'fine{i}' for i in range(100)]
    write_pickle(folder / 'meta', {'fine_label_names': fine,
                                   'coarse_label_names': ['c'] * 20})
    for split, labels in (('train', [99, 5]), ('test', [7])):
        write_pickle(folder / split,
                     {'data': images_with_pixel(len(labels), rng),
                      'fine_labels': labels,
                      'coarse_labels': [0] * len(labels)})
    train = CIFAR100(data_root=str(tmp_path), split='train')
    assert len(train.metainfo['classes']) == 100
    np.testing.assert_array_equal(train.get_gt_labels(), [99, 5])
    test = CIFAR100(data_root=str(folder), split='test')
    np.testing.assert_array_equal(test.get_gt_labels(), [7])


def test_missing_meta_names_the_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match='batches.meta') as error:
        CIFAR10(data_root=str(tmp_path))
    assert str(tmp_path) in str(error.value)


def test_missing_batch_names_it(cifar10_root):
    os.remove(cifar10_root / 'cifar-10-batches-py' / 'data_batch_3')
    with pytest.raises(FileNotFoundError, match='data_batch_3'):
        CIFAR10(data_root=str(cifar10_root))


@pytest.mark.parametrize('content, message', [
    ({'labels': [0]}, "no 'data' entry"),
    ({'data': np.zeros((2, 100), np.uint8), 'labels': [0, 1]},
     r'shape \(2, 100\)'),
    ({'data': np.zeros((2, 3072), np.uint8), 'labels': [0]},
     '2 images but 1 labels'),
    ({'data': np.zeros((1, 3072), np.uint8), 'labels': [10]},
     'label 10 outside 0..9'),
    # the label at fault, below the range as above it
    ({'data': np.zeros((2, 3072), np.uint8), 'labels': [-1, 3]},
     'label -1 outside 0..9'),
])
def test_malformed_batch_names_the_file(cifar10_root, content, message):
    path = cifar10_root / 'cifar-10-batches-py' / 'test_batch'
    write_pickle(path, content)
    with pytest.raises(ValueError, match=message) as error:
        CIFAR10(data_root=str(cifar10_root), split='test')
    assert str(path) in str(error.value)


def test_a_pickle_holding_code_is_refused(cifar10_root):
    path = cifar10_root / 'cifar-10-batches-py' / 'test_batch'
    write_pickle(path, {'data': os.system, 'labels': []})
    with pytest.raises(ValueError, match='posix.system|os.system') as error:
        CIFAR10(data_root=str(cifar10_root), split='test')
    assert str(path) in str(error.value)


def test_bad_split():
    with pytest.raises(ValueError, match="'val'"):
        CIFAR10(data_root='x', split='val')


def test_the_transfer_config_upscales_to_224(cifar10_root):
    """configs/_base_/datasets/cifar10_bs96_deit_224.py: both pipelines
    run on the in-memory images and give 224-px inputs."""
    from pathlib import Path

    from mmengine import Config
    config = Path(__file__).parents[2] / 'configs' / '_base_' / \
        'datasets' / 'cifar10_bs96_deit_224.py'
    cfg = Config.fromfile(config)
    for loader, index in ((cfg.train_dataloader, 14),
                          (cfg.test_dataloader, 3)):
        dataset = DATASETS.build(
            dict(loader.dataset, data_root=str(cifar10_root)))
        sample = dataset[index]
        assert tuple(sample['inputs'].shape) == (3, 224, 224)
        assert int(sample['data_samples'].gt_label) == \
            dataset.get_data_info(index)['gt_label']
