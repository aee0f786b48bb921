"""tools/test.py on configs that evaluate but cannot train, and the data
checked before anything else (a teacher's download included)."""
import json

import cv2
import numpy as np
import pytest
import torch

import mmdeit
from mmdeit.datasets.categories import IMAGENET_WNIDS
from tests.helpers.repo import ROOT, load_tool

TEACHER = ROOT / 'configs/teachers/regnety-16gf_in1k.py'


@pytest.fixture
def imagenet_val(tmp_path):
    """data/imagenet/val/<wnid>/*.png: two classes of two images."""
    rng = np.random.default_rng(0)
    for wnid in IMAGENET_WNIDS[:2]:
        folder = tmp_path / 'imagenet' / 'val' / wnid
        folder.mkdir(parents=True)
        for index in range(2):
            cv2.imwrite(str(folder / f'{index}.png'),
                        rng.integers(0, 255, (40, 48, 3), dtype=np.uint8))
    return tmp_path / 'imagenet'


def test_teacher_config_tests_as_it_is(tmp_path, imagenet_val):
    """The RegNetY-16GF config (docs/distillation.md's command), shrunk to a
    RegNetY-200MF so that it runs in seconds; its train part is incomplete
    (a train_dataloader from _base_, no schedule)."""
    small = dict(backbone=dict(arch='regnety-200mf'),
                 head=dict(in_channels=368))
    model = mmdeit.get_model(str(TEACHER), **small)
    checkpoint = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    test = load_tool('tools/test.py')
    metrics = test.main([
        str(TEACHER), str(checkpoint), '--work-dir', str(tmp_path / 'work'),
        '--cfg-options', 'model.backbone.arch=regnety-200mf',
        'model.head.in_channels=368',
        f'test_dataloader.dataset.data_root={imagenet_val}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'])
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}
    record = json.loads((tmp_path / 'work' / 'test_metrics.json').read_text())
    assert record['metrics'] == metrics


def test_missing_data_is_told_before_the_teacher(tmp_path, monkeypatch):
    """The design card's command without ImageNet: the missing data is the
    error, not the teacher's download (nothing is built or fetched)."""
    monkeypatch.chdir(tmp_path)
    fetched = []
    monkeypatch.setattr(torch.hub, 'download_url_to_file',
                        lambda url, *args, **kwargs: fetched.append(url))
    train = load_tool('tools/train.py')
    config = ROOT / 'configs/deit/deit-small-distilled_pt-4xb256_in1k.py'
    with pytest.raises(FileNotFoundError) as error:
        train.main([str(config), '--work-dir', str(tmp_path / 'work')])
    assert str(error.value).startswith(
        "train_dataloader.dataset.data_root='data/imagenet'")
    assert not fetched

    test = load_tool('tools/test.py')
    with pytest.raises(FileNotFoundError, match='test_dataloader.dataset'):
        test.main([str(TEACHER), 'teacher.pth'])
