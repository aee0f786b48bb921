"""A short CPU training run of the DeiT III-small config, its recipe whole
(3-Augment, Mixup/CutMix, binary cross-entropy on binarized targets, LAMB,
warm-up and cosine, repeated augmentation) on a tiny model and tiny data:
the loss drops."""
import json

import torch
from mmengine.config import Config

from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import ROOT
from tests.helpers.tiny_runner import NO_EVALUATION, build_runner, model_text

CONFIG = "_base_ = ['{base}']\n" + model_text(
    2, dims=32, layers=2, size=32) + '''
data_root = '{data_root}'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, interpolation='bicubic',
         backend='torch'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ThreeAugment'),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=train_pipeline))
''' + NO_EVALUATION + '''
train_cfg = dict(max_epochs=12, val_interval=100)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=100))
randomness = dict(seed=0)
# the config's lr at this run's total batch of 4, as at its own 2048
auto_scale_lr = dict(base_batch_size=4)
'''


def test_loss_drops(tmp_path):
    data_root = write_image_folder(tmp_path / 'data', 2, (('train', 16), ),
                                   size=(40, 40))
    config = tmp_path / 'deit3_tiny.py'
    config.write_text(CONFIG.format(
        base=ROOT / 'configs/deit3/deit3-small-p16_64xb64_in1k.py',
        data_root=data_root))
    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp_path / 'work')
    runner = build_runner(cfg)
    runner.train()
    # the recipe under test
    assert type(runner.optim_wrapper.optimizer).__name__ == 'Lamb'
    assert runner.model.head.loss_module.target_threshold == 0.0
    logs = [json.loads(line) for line in sorted((tmp_path / 'work').glob(
        '*/vis_data/scalars.json'))[-1].read_text().splitlines()]
    losses = [log['loss'] for log in logs if 'loss' in log]
    assert len(losses) == 96  # 12 epochs of 8 batches of 4
    # half the mixed pairs hold both classes, whose binarized targets no
    # model can tell apart: the loss cannot go far below half its start
    first, last = sum(losses[:8]) / 8, sum(losses[-8:]) / 8
    assert last < 0.85 * first, losses
    # after warm-up the lr is the config's 4e-3 (scaled from a base of 4)
    lrs = [log['lr'] for log in logs if 'lr' in log]
    assert abs(max(lrs) - 4e-3) < 2e-4
    assert torch.isfinite(torch.tensor(losses)).all()
