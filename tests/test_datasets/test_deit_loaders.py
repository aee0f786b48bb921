"""The DeiT ImageNet configs' loaders stack each batch in the worker
(``default_collate``): the data preprocessor must get what it got from a
list of images (``pseudo_collate``)."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS

from mmdeit.models.utils.data_preprocessor import ClsDataPreprocessor
from mmdeit.registry import TRANSFORMS


@pytest.mark.parametrize('config', ['imagenet_bs64_deit_224.py',
                                    'imagenet_bs32_deit_384.py'])
def test_stacked_batches_preprocess_as_lists(config):
    cfg = Config.fromfile(f'configs/_base_/datasets/{config}')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        assert loader.collate_fn == dict(type='default_collate')
    collate = FUNCTIONS.get(cfg.train_dataloader.collate_fn['type'])
    pack = TRANSFORMS.build(dict(type='PackInputs'))
    rng = np.random.default_rng(0)
    samples = [pack(dict(img=rng.integers(0, 256, (8, 8, 3), np.uint8),
                         gt_label=label)) for label in (3, 7)]
    stacked, listed = collate(samples), pseudo_collate(samples)
    assert isinstance(stacked['inputs'], torch.Tensor)
    assert stacked['inputs'].shape == (2, 3, 8, 8)
    preprocess = ClsDataPreprocessor(**{
        k: v for k, v in cfg.data_preprocessor.items() if k != 'type'})
    ours, reference = preprocess(stacked), preprocess(listed)
    torch.testing.assert_close(ours['inputs'], reference['inputs'],
                               rtol=0, atol=0)
    assert [s.gt_label.item() for s in ours['data_samples']] == [3, 7]
