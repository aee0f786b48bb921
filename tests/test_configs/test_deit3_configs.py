"""Each DeiT III config holds the official recipe (README_revenge.md of
facebookresearch/deit, written out below), evaluated as the official
commands evaluate (--eval-crop-ratio 1.0)."""
import pytest
from mmengine.config import Config

import mmdeit
from mmdeit.apis import load_config

# name: (stage, optimizer, lr, weight decay, epochs, drop path, image size,
# images per device)
RECIPES = {
    'deit3-small-p16_64xb64_in1k':
    ('pre-train', 'Lamb', 4e-3, 0.05, 800, 0.05, 224, 64),
    'deit3-medium-p16_pt-8xb256_in1k-192px':
    ('pre-train', 'Lamb', 3e-3, 0.05, 800, 0.2, 192, 256),
    'deit3-base-p16_pt-8xb256_in1k-192px':
    ('pre-train', 'Lamb', 3e-3, 0.05, 800, 0.2, 192, 256),
    'deit3-large-p16_pt-32xb64_in1k-192px':
    ('pre-train', 'Lamb', 3e-3, 0.05, 800, 0.45, 192, 64),
    'deit3-huge-p14_pt-32xb64_in1k-154px':
    ('pre-train', 'Lamb', 3e-3, 0.05, 800, 0.6, 154, 64),
    'deit3-small-p16_64xb64_in1k-384px':
    ('fine-tune', 'AdamW', 1e-5, 0.1, 20, 0.0, 384, 64),
    'deit3-medium-p16_64xb64_in1k':
    ('fine-tune', 'AdamW', 1e-5, 0.1, 20, 0.2, 224, 64),
    'deit3-base-p16_64xb64_in1k':
    ('fine-tune', 'AdamW', 1e-5, 0.1, 20, 0.2, 224, 64),
    'deit3-base-p16_64xb32_in1k-384px':
    ('fine-tune', 'AdamW', 1e-5, 0.1, 20, 0.15, 384, 32),
    'deit3-large-p16_64xb64_in1k':
    ('fine-tune', 'AdamW', 1e-5, 0.1, 20, 0.45, 224, 64),
    'deit3-large-p16_64xb16_in1k-384px':
    ('fine-tune', 'AdamW', 1e-5, 0.1, 20, 0.4, 384, 16),
    'deit3-huge-p14_64xb32_in1k':
    ('fine-tune', 'AdamW', 1e-5, 0.1, 20, 0.55, 224, 32),
}


def types(pipeline):
    return [step['type'] for step in pipeline]


def test_every_deit3_config_is_checked():
    assert set(RECIPES) == {name for name in mmdeit.list_models('deit3*')
                            if 'in21k' not in name}


@pytest.mark.parametrize('name', list(RECIPES))
def test_recipe(name):
    stage, optimizer, lr, decay, epochs, drop_path, size, batch = \
        RECIPES[name]
    cfg: Config = load_config(name)
    model = cfg.model
    assert model.backbone.type == 'DeiT3'
    assert model.backbone.img_size == size
    assert model.backbone.drop_path_rate == drop_path
    assert [a['type'] for a in model.train_cfg.augments] == ['Mixup',
                                                             'CutMix']
    assert [a['alpha'] for a in model.train_cfg.augments] == [0.8, 1.0]

    options = cfg.optim_wrapper.optimizer
    assert (options.type, options.lr, options.weight_decay, options.eps) == \
        (optimizer, lr, decay, 1e-8)
    assert cfg.optim_wrapper.paramwise_cfg.flat_decay_mult == 0.0
    assert set(cfg.optim_wrapper.paramwise_cfg.custom_keys) == {
        '.cls_token', '.pos_embed'}
    # the official lr at the official total batch, scaled elsewhere
    assert cfg.auto_scale_lr.enable is True
    assert cfg.auto_scale_lr.base_batch_size == (
        2048 if optimizer == 'Lamb' else 512)
    scheduler, = cfg.param_scheduler
    assert (scheduler.warmup_length, scheduler.warmup_start_lr,
            scheduler.eta_min, scheduler.T_max) == (5, 1e-6, 1e-5, epochs)
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.train_dataloader.batch_size == batch

    train = types(cfg.train_dataloader.dataset.pipeline)
    assert train[:3] == ['LoadImageFromFile', 'RandomResizedCrop',
                         'RandomFlip']
    assert cfg.train_dataloader.dataset.pipeline[1].scale == size
    assert 'RandomErasing' not in train  # --reprob 0.0
    if stage == 'pre-train':
        assert model.head.loss == dict(type='BinaryCrossEntropyLoss',
                                       target_threshold=0.0)
        assert model.train_cfg.get('label_smoothing', 0) == 0
        assert train[3:] == ['ThreeAugment', 'ColorJitter', 'PackInputs']
        jitter = cfg.train_dataloader.dataset.pipeline[4]
        assert (jitter.brightness, jitter.contrast, jitter.saturation) == \
            (0.3, 0.3, 0.3)
        assert cfg.train_dataloader.sampler == dict(
            type='RepeatAugSampler', num_repeats=3, shuffle=True)
        assert 'init_cfg' not in model
    else:
        assert model.head.loss == dict(type='CrossEntropyLoss',
                                       label_smoothing=0.1)
        assert model.train_cfg.label_smoothing == 0.1
        assert train[3:] == ['RandAugment', 'PackInputs']
        assert cfg.train_dataloader.dataset.pipeline[3].policies == \
            'rand-m9-mstd0.5-inc1'
        assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
        assert model.init_cfg.type == 'Pretrained'

    # evaluation at crop ratio 1.0
    resize, crop = cfg.test_dataloader.dataset.pipeline[1:3]
    assert (resize.type, resize.scale, resize.edge) == ('ResizeEdge', size,
                                                        'short')
    assert (crop.type, crop.crop_size) == ('CenterCrop', size)


def test_fine_tunes_start_from_the_stage_before():
    starts = {name: load_config(name).model.init_cfg.checkpoint
              for name, recipe in RECIPES.items() if recipe[0] == 'fine-tune'}
    assert starts['deit3-small-p16_64xb64_in1k-384px'] == \
        'https://dl.fbaipublicfiles.com/deit/deit_3_small_224_1k.pth'
    assert starts['deit3-huge-p14_64xb32_in1k'] == \
        'work_dirs/deit3-huge-p14_pt-32xb64_in1k-154px/epoch_800.pth'
    for name, start in starts.items():
        if start.startswith('work_dirs/'):
            assert start.split('/')[1] in RECIPES


def test_21k_weights_share_the_configs():
    for name in mmdeit.list_models('*in21k-pre*'):
        info = mmdeit.apis.model_info(name)
        assert info['config'].endswith(name.replace('_in21k-pre', '') + '.py')
        assert '_21k' in info['weights']
