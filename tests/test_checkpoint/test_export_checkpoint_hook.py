"""ExportCheckpointHook in a real (tiny) mmengine training run with EMA."""
import logging
import re

import pytest
import torch
from mmengine.hooks import EMAHook
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmdeit.checkpoint import load_pretrained
from mmdeit.engine.hooks import ExportCheckpointHook
from mmdeit.registry import MODELS
from mmdeit.structures import DataSample
from mmdeit.utils import register_all_modules

transformers = pytest.importorskip('transformers')
timm = pytest.importorskip('timm')

MODEL = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DistilledVisionTransformer',
        arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                  feedforward_channels=64),
        img_size=32, patch_size=16),
    head=dict(type='DeiTClsHead', num_classes=3, in_channels=32),
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3))


class ToyImages(Dataset):
    """Eight random 32x32 images of three classes."""
    metainfo = dict(classes=('ant', 'bee', 'cat'))

    def __len__(self):
        return 8

    def __getitem__(self, index):
        generator = torch.Generator().manual_seed(index)
        image = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8,
                              generator=generator)
        return dict(inputs=image,
                    data_samples=DataSample().set_gt_label(index % 3))


def train(work_dir, **hook_args):
    runner = Runner(
        model=MODEL,
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyImages(), batch_size=4, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-2)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[dict(type='EMAHook', momentum=0.5),
                      dict(type='ExportCheckpointHook', **hook_args)],
        default_scope='mmdeit',
        log_level='WARNING')
    runner.train()
    return runner


def test_every_checkpoint_is_published_and_exported(tmp_path):
    runner = train(tmp_path, hf=True, timm=True, every_checkpoint=True)
    release = tmp_path / 'release'
    names = {re.sub('-[0-9a-f]{8}.pth$', '-SHA8.pth', p.name)
             for p in release.iterdir()}
    assert names == {'epoch_1-SHA8.pth', 'epoch_1_hf', 'epoch_1_timm.pth',
                     'epoch_2-SHA8.pth', 'epoch_2_hf', 'epoch_2_timm.pth'}
    published_path = str(next(release.glob('epoch_2-*.pth')))
    published = torch.load(published_path, weights_only=True)
    assert sorted(published) == ['meta', 'state_dict']
    classes = published['meta']['dataset_meta']['classes']
    assert classes == ('ant', 'bee', 'cat')

    # the published weights are the EMA ones, not the raw ones
    ema_hook = next(h for h in runner.hooks if isinstance(h, EMAHook))
    ema = ema_hook.ema_model.module.state_dict()
    raw = runner.model.state_dict()
    for key, value in published['state_dict'].items():
        torch.testing.assert_close(value, ema[key])
    assert any(not torch.equal(value, raw[key])
               for key, value in published['state_dict'].items())

    register_all_modules(init_default_scope=False)
    model = MODELS.build(MODEL).eval()
    load_pretrained(model, published_path)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)

        hf = transformers.AutoModelForImageClassification.from_pretrained(
            release / 'epoch_2_hf').eval()
        assert type(hf).__name__ == 'DeiTForImageClassificationWithTeacher'
        assert hf.config.id2label == {0: 'ant', 1: 'bee', 2: 'cat'}
        torch.testing.assert_close(hf(x).logits, expected, rtol=0, atol=1e-5)

        official = timm.models.deit.VisionTransformerDistilled(
            img_size=32, patch_size=16, embed_dim=32, depth=2, num_heads=2,
            mlp_ratio=2, num_classes=3).eval()
        official.load_state_dict(torch.load(
            release / 'epoch_2_timm.pth', weights_only=True)['model'])
        torch.testing.assert_close(official(x), expected, rtol=0, atol=1e-5)


def test_only_the_last_checkpoint_by_default(tmp_path):
    train(tmp_path)
    assert [p.name.split('-')[0] for p in (tmp_path / 'release').iterdir()] \
        == ['epoch_2']


class FakeRunner:
    """What the hook reads when no checkpoint was saved."""

    def __init__(self):
        from mmengine.logging import MessageHub, MMLogger
        self.message_hub = MessageHub.get_instance('export_checkpoint_hook_test')
        self.logger = MMLogger.get_instance('export_checkpoint_hook_test')


def test_no_checkpoint_is_a_warning():
    runner = FakeRunner()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    runner.logger.addHandler(handler)
    ExportCheckpointHook().after_train(runner)
    assert any('no checkpoint was saved' in r.getMessage() for r in records)
