import os

import numpy as np
import pytest

from mmdeit.datasets import (IMAGENET_CATEGORIES, IMAGENET_WNIDS,
                             CustomDataset, ImageNet)
from mmdeit.registry import DATASETS


def touch(root, *paths):
    for path in paths:
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        open(full, 'w').close()


def infos(dataset):
    return [(os.path.relpath(dataset.get_data_info(i)['img_path'],
                             dataset.img_prefix),
             dataset.get_data_info(i).get('gt_label'))
            for i in range(len(dataset))]


@pytest.fixture
def class_folders(tmp_path):
    touch(tmp_path, 'train/dog/1.jpg', 'train/dog/sub/2.JPEG',
          'train/dog/notes.txt', 'train/cat/3.png', 'train/bird/4.bmp')
    return str(tmp_path)


def test_class_folders_give_sorted_classes(class_folders):
    dataset = CustomDataset(data_root=class_folders, data_prefix='train')
    assert dataset.metainfo['classes'] == ('bird', 'cat', 'dog')
    assert infos(dataset) == [('bird/4.bmp', 0), ('cat/3.png', 1),
                              ('dog/1.jpg', 2), ('dog/sub/2.JPEG', 2)]
    np.testing.assert_array_equal(dataset.get_gt_labels(), [0, 1, 2, 2])
    assert dataset.get_cat_ids(3) == [2]


def test_given_classes_name_the_folders(class_folders):
    dataset = CustomDataset(data_root=class_folders, data_prefix='train',
                            classes=['dog', 'cat', 'bird', 'fish'])
    assert [label for _, label in infos(dataset)] == [2, 1, 0, 0]
    with pytest.raises(ValueError, match='3 class folders .* 2 classes'):
        CustomDataset(data_root=class_folders, data_prefix='train',
                      classes=['a', 'b'])


def test_unlabelled_folder_lists_all_images(class_folders):
    dataset = CustomDataset(data_prefix=os.path.join(class_folders, 'train'),
                            with_label=False)
    assert infos(dataset) == [('bird/4.bmp', None), ('cat/3.png', None),
                              ('dog/1.jpg', None), ('dog/sub/2.JPEG', None)]


def test_annotation_file(tmp_path):
    touch(tmp_path, 'images/a b.jpg', 'images/c.jpg')
    (tmp_path / 'meta').mkdir()
    (tmp_path / 'meta/train.txt').write_text('a b.jpg 1\n\nc.jpg 0\n')
    (tmp_path / 'classes.txt').write_text('cat\ndog\n')
    cfg = dict(type='CustomDataset', data_root=str(tmp_path),
               data_prefix='images', ann_file='meta/train.txt',
               classes=str(tmp_path / 'classes.txt'),
               pipeline=[lambda results: dict(results, seen=True)])
    dataset = DATASETS.build(cfg)
    assert dataset.metainfo['classes'] == ('cat', 'dog')
    assert infos(dataset) == [('a b.jpg', 1), ('c.jpg', 0)]
    item = dataset[0]
    assert item['seen']
    assert item['img_path'] == str(tmp_path / 'images/a b.jpg')


@pytest.mark.parametrize('line,message', [
    ('c.jpg dog', 'expected "<image path> <class index>"'),
    ('c.jpg', 'expected'),
    ('c.jpg 2', r'class index 2 is outside \[0, 2\)'),
    ('c.jpg -1', r'class index -1 is outside \[0, 2\)'),
])
def test_bad_annotation_line_names_file_and_line(tmp_path, line, message):
    ann_file = tmp_path / 'ann.txt'
    ann_file.write_text(f'a.jpg 0\n{line}\n')
    with pytest.raises(ValueError, match=f'ann.txt, line 2: {message}'):
        CustomDataset(data_root=str(tmp_path), ann_file='ann.txt',
                      classes=['cat', 'dog'])


@pytest.mark.parametrize('kwargs,missing', [
    (dict(data_root='nowhere'), 'nowhere'),
    (dict(data_root='.', data_prefix='no_folder'), 'no_folder'),
    (dict(data_root='.', ann_file='no_ann.txt'), 'no_ann.txt'),
    (dict(data_root='.', classes='no_classes.txt'), 'no_classes.txt'),
])
def test_missing_paths_raise_before_any_work(tmp_path, monkeypatch, kwargs,
                                             missing):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=missing):
        CustomDataset(lazy_init=True, **kwargs)


def test_empty_or_flat_folder_errors(tmp_path):
    touch(tmp_path, 'flat/a.jpg', 'empty/x/readme.md')
    with pytest.raises(ValueError, match='no class sub-folders in .*flat'):
        CustomDataset(data_prefix=str(tmp_path / 'flat'))
    with pytest.raises(ValueError, match='no images with extensions'):
        CustomDataset(data_prefix=str(tmp_path / 'empty'))


@pytest.fixture
def imagenet(tmp_path):
    touch(tmp_path, 'train/n01440764/n01440764_1.JPEG',
          'train/n01440764/n01440764_2.JPEG', 'train/n15075141/x_3.JPEG',
          'val/ILSVRC2012_val_00000001.JPEG',
          'val/ILSVRC2012_val_00000002.JPEG',
          'test/ILSVRC2012_test_00000001.JPEG')
    (tmp_path / 'meta').mkdir()
    (tmp_path / 'meta/val.txt').write_text(
        'ILSVRC2012_val_00000001.JPEG 65\nILSVRC2012_val_00000002.JPEG 970\n')
    return str(tmp_path)


def test_imagenet_splits(imagenet):
    train = ImageNet(data_root=imagenet, split='train')
    assert train.metainfo['classes'] == IMAGENET_CATEGORIES
    # class folders keep their ImageNet-1k index even as a subset
    assert [label for _, label in infos(train)] == [0, 0, 999]
    val = ImageNet(data_root=imagenet, split='val')  # reads meta/val.txt
    assert infos(val) == [('ILSVRC2012_val_00000001.JPEG', 65),
                          ('ILSVRC2012_val_00000002.JPEG', 970)]
    test = ImageNet(data_root=imagenet, split='test')
    assert infos(test) == [('ILSVRC2012_test_00000001.JPEG', None)]
    # an older MMPretrain config: explicit prefix and annotation file
    old = DATASETS.build(dict(type='ImageNet', data_root=imagenet,
                              data_prefix='val', ann_file='meta/val.txt'))
    assert infos(old) == infos(val)


def test_imagenet_errors(imagenet):
    os.remove(os.path.join(imagenet, 'meta/val.txt'))
    with pytest.raises(ValueError, match='no class sub-folders in .*val'):
        ImageNet(data_root=imagenet, split='val')
    touch(imagenet, 'train/goldfish/a.JPEG')
    with pytest.raises(ValueError, match='WordNet id.*goldfish'):
        ImageNet(data_root=imagenet, split='train')
    with pytest.raises(ValueError, match='split must be one of'):
        ImageNet(data_root=imagenet, split='validation')
    with pytest.raises(FileNotFoundError, match='missing_imagenet'):
        ImageNet(data_root=os.path.join(imagenet, 'missing_imagenet'),
                 split='train')


def test_imagenet_categories_match_timm():
    from timm.data import ImageNetInfo
    info = ImageNetInfo()
    assert len(IMAGENET_WNIDS) == len(IMAGENET_CATEGORIES) == 1000
    assert list(IMAGENET_WNIDS) == [info.index_to_label_name(i)
                                    for i in range(1000)]
    assert list(IMAGENET_CATEGORIES) == [info.index_to_description(i)
                                         for i in range(1000)]
    assert IMAGENET_CATEGORIES[207] == 'golden retriever'
