"""Bad data: unreadable images are named and replaced in training, counted
across loader workers and stop the run past a budget; missing folders and
files are reported before training starts. Samples carry their own seeds,
so loading does not depend on the workers."""
import os
import re
from pathlib import Path

import pytest
import torch
from mmengine.dataset import DefaultSampler, pseudo_collate
from torch.utils.data import DataLoader

from mmdeit.datasets import CustomDataset, ResumableBatchSampler
from mmdeit.datasets.fetching import SeededIndex, UnreadableImageError
from mmdeit.datasets.transforms import LoadImageFromFile
from mmdeit.engine.hooks import TooManyBadImagesError
from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import load_tool
from tests.helpers.tiny_runner import build_runner, log_text, tiny_config

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=16),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]


def spoil(folder: Path) -> dict:
    """Three unusable files among the images of ``folder`` (train/class_0):
    empty, not an image, a link to nothing."""
    bad = dict(empty=folder / 'empty.png', corrupt=folder / 'corrupt.jpg',
               missing=folder / 'gone.jpg')
    bad['empty'].write_bytes(b'')
    bad['corrupt'].write_bytes(os.urandom(300))
    bad['missing'].symlink_to(folder / 'deleted.jpg')
    return bad


@pytest.fixture
def data_root(tmp_path) -> Path:
    return write_image_folder(tmp_path / 'data', 2)


def test_loader_names_file_and_reason(data_root):
    bad = spoil(data_root / 'train' / 'class_0')
    load = LoadImageFromFile()
    reasons = dict(empty='empty file', corrupt='not a decodable image',
                   missing='cannot read it (No such file or directory)')
    for kind, path in bad.items():
        with pytest.raises(UnreadableImageError) as error:
            load(dict(img_path=str(path)))
        assert error.value.path == str(path)
        assert str(error.value).startswith(f'{path}: {reasons[kind]}')
    assert LoadImageFromFile(ignore_empty=True)(
        dict(img_path=str(bad['empty']))) is None
    good = load(dict(img_path=str(data_root / 'train/class_1/0.png')))
    assert good['img'].shape == (20, 24, 3)


def test_training_replaces_unreadable_sample_evaluation_stops(data_root):
    bad = spoil(data_root / 'train' / 'class_0')
    dataset = CustomDataset(data_root=str(data_root), data_prefix='train',
                            pipeline=PIPELINE)
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    corrupt = paths.index(str(bad['corrupt']))
    first = dataset[SeededIndex(corrupt, 7)]
    unreadable = first['data_samples'].unreadable_images
    assert unreadable[0].startswith(f'{bad["corrupt"]}: not a decodable')
    assert first['data_samples'].img_path not in map(str, bad.values())
    # the replacement and its augmentation follow from the sample's seed
    again = dataset[SeededIndex(corrupt, 7)]
    assert again['data_samples'].img_path == first['data_samples'].img_path
    assert torch.equal(again['inputs'], first['inputs'])
    good = dataset[paths.index(str(data_root / 'train/class_1/0.png'))]
    assert 'unreadable_images' not in good['data_samples']

    test_set = CustomDataset(data_root=str(data_root), data_prefix='train',
                             pipeline=PIPELINE, test_mode=True)
    with pytest.raises(UnreadableImageError, match=str(bad['corrupt'])):
        test_set[corrupt]


def batches(dataset, num_workers: int, epoch: int = 1,
            skip: int = 0) -> list:
    """(images, paths) of the batches of an epoch, through a DataLoader."""
    sampler = ResumableBatchSampler(DefaultSampler(dataset, seed=3), 3)
    sampler.start_epoch(epoch, seed=11, start=skip * 3)
    loader = DataLoader(dataset, batch_sampler=sampler,
                        num_workers=num_workers, collate_fn=pseudo_collate)
    return [(torch.stack(b['inputs']),
             [s.img_path for s in b['data_samples']]) for b in loader]


def assert_same(batches_a: list, batches_b: list) -> None:
    assert len(batches_a) == len(batches_b)
    for (images_a, paths_a), (images_b, paths_b) in zip(batches_a, batches_b):
        assert paths_a == paths_b
        assert torch.equal(images_a, images_b)


def test_sample_seeds_make_batches_independent_of_workers(data_root):
    dataset = CustomDataset(data_root=str(data_root), data_prefix='train',
                            pipeline=PIPELINE)
    alone = batches(dataset, num_workers=0)
    assert len(alone) == 3  # 8 images in batches of 3
    assert_same(alone, batches(dataset, num_workers=2))
    # an epoch resumed after its first batch goes on as the whole one did
    assert_same(alone[1:], batches(dataset, num_workers=2, skip=1))
    # the same images in another epoch get other augmentations
    other = batches(dataset, num_workers=0, epoch=2)
    assert other[0][1] == alone[0][1]
    assert not torch.equal(other[0][0], alone[0][0])


@pytest.mark.parametrize('max_bad_fraction', [0.5, 0.05])
def test_bad_image_budget(tmp_path, max_bad_fraction):
    cfg = tiny_config(tmp_path, **{
        'default_hooks.bad_images.max_bad_fraction': max_bad_fraction,
        'train_dataloader.num_workers': 2, 'train_cfg.max_epochs': 1})
    # 3 of 11 files unusable; an epoch draws the 11 on 3 iterations
    bad = spoil(Path(cfg.data_root) / 'train' / 'class_0')
    runner = build_runner(cfg)
    if max_bad_fraction == 0.5:
        runner.train()
        logs = log_text(Path(cfg.work_dir))
        assert 'samples were replaced because their image was unreadable' \
            in logs
        assert (Path(cfg.work_dir) / 'epoch_1.pth').exists()
        return
    with pytest.raises(TooManyBadImagesError) as error:
        runner.train()
    message = str(error.value)
    assert 'max_bad_fraction=0.05' in message
    assert any(str(path) in message for path in bad.values())
    assert not (Path(cfg.work_dir) / 'epoch_1.pth').exists()


@pytest.mark.parametrize('option, value, named', [
    ('train_dataloader.dataset.data_root', '{tmp}/nowhere', '{tmp}/nowhere'),
    ('val_dataloader.dataset.data_prefix', 'valid', '{tmp}/data/valid'),
    ('train_dataloader.dataset.ann_file', 'meta/train.txt',
     '{tmp}/data/meta/train.txt'),
])
def test_missing_paths_named_before_training(tmp_path, option, value, named):
    config = tiny_config(tmp_path).filename
    work = tmp_path / 'work'
    argv = [config, '--work-dir', str(work), '--cfg-options',
            option + '=' + value.format(tmp=tmp_path),
            'train_dataloader.dataset.lazy_init=True',
            'val_dataloader.dataset.lazy_init=True']
    with pytest.raises(FileNotFoundError,
                       match=re.escape(repr(named.format(tmp=tmp_path)))) \
            as error:
        load_tool('tools/train.py').main(argv)
    # told before the runner (and the model) is built: nothing trained
    assert str(error.value).startswith(option.split('.')[0] + '.dataset')
    assert not work.exists() or 'Epoch(train)' not in log_text(work)
    assert not list(work.glob('*.pth'))
