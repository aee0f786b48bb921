"""configs/finetune: every config loads and its model builds with the
dataset's class count, and the hyper-parameters the DeiT authors gave in
facebookresearch/deit's issues are the ones the configs hold."""
from pathlib import Path

import pytest
import torch
from mmengine import Config

from mmdeit.models.zoo import build_model_from_config

CONFIGS = Path(__file__).parents[2] / 'configs' / 'finetune'
OFFICIAL = 'https://dl.fbaipublicfiles.com/deit/'
STUDENT_WEIGHTS = {
    'deit-small': 'deit_small_patch16_224-cd65a155.pth',
    'deit-base': 'deit_base_patch16_224-b5f2ef4d.pth',
    'deit-small-distilled': 'deit_small_distilled_patch16_224-649709d9.pth',
    'deit-base-distilled': 'deit_base_distilled_patch16_224-df68dfff.pth',
}
# folder -> (name in the file names, dataset type, classes, train split,
# test split)
DATASETS = {
    'cifar10': ('cifar10', 'CIFAR10', 10, 'train', 'test'),
    'cifar100': ('cifar100', 'CIFAR100', 100, 'train', 'test'),
    'flowers102': ('flowers102', 'Flowers102', 102, 'trainval', 'test'),
    'stanford_cars': ('stanford-cars', 'StanfordCars', 196, 'train',
                      'test'),
    'inat2018': ('inat2018', 'INaturalist', 8142, 'train', 'val'),
    'inat2019': ('inat2019', 'INaturalist', 1010, 'train', 'val'),
}
SMALL_SETS = ('cifar10', 'cifar100', 'flowers102', 'stanford_cars')
PAPER_CONFIGS = [(folder, model) for folder in DATASETS
                 for model in (*STUDENT_WEIGHTS, 'regnety-16gf')]


def load(folder: str, model: str) -> Config:
    name = DATASETS[folder][0]
    return Config.fromfile(CONFIGS / folder / f'{model}_ft-8xb96_{name}.py')


def shrunk(cfg: Config) -> Config:
    """The config's model at a test's size: one 48-wide layer for DeiT,
    RegNetY-200MF for the teacher; no teacher."""
    cfg = cfg.copy()
    cfg.model.pop('teacher', None)
    cfg.model.pop('distillation', None)
    if cfg.model.backbone.type == 'RegNet':
        cfg.model.backbone.arch = 'regnety-200mf'
        cfg.model.head.in_channels = 368
    else:
        cfg.model.backbone.arch = dict(embed_dims=48, num_layers=1,
                                       num_heads=3, feedforward_channels=96)
        cfg.model.head.in_channels = 48
    return cfg


@pytest.mark.parametrize('folder, model', PAPER_CONFIGS)
def test_model_builds_with_the_dataset_classes(folder, model):
    _, dataset_type, classes, train_split, test_split = DATASETS[folder]
    cfg = load(folder, model)
    assert cfg.model.head.num_classes == classes
    assert cfg.data_preprocessor.num_classes == classes
    assert cfg.train_dataloader.dataset.type == dataset_type
    assert cfg.train_dataloader.dataset.split == train_split
    assert cfg.test_dataloader.dataset.split == test_split
    assert cfg.test_dataloader.dataset.test_mode
    net = build_model_from_config(shrunk(cfg)).eval()  # no weights read
    with torch.no_grad():
        logits = net(torch.rand(1, 3, 224, 224), mode='tensor')
    assert logits.shape == (1, classes)


@pytest.mark.parametrize('folder, model', PAPER_CONFIGS)
def test_backbone_starts_from_the_released_weights(folder, model):
    init = load(folder, model).model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone'
    expected = STUDENT_WEIGHTS.get(model, 'regnety_160-a5fe301d.pth')
    assert init.checkpoint == OFFICIAL + expected


@pytest.mark.parametrize('folder', DATASETS)
@pytest.mark.parametrize('student', ['deit-small-distilled',
                                     'deit-base-distilled'])
def test_distilled_students_learn_from_the_teacher_fine_tuned_on_the_set(
        folder, student):
    """Two-stage recipe: the teacher is the set's fine-tuned RegNetY-16GF
    (same classes), read from its last checkpoint; hard distillation."""
    name = DATASETS[folder][0]
    cfg = load(folder, student)
    assert cfg.model.type == 'DistilledImageClassifier'
    assert cfg.model.backbone.type == 'DistilledVisionTransformer'
    teacher_config = f'regnety-16gf_ft-8xb96_{name}'
    assert cfg.model.teacher.cfg == \
        f'configs/finetune/{folder}/{teacher_config}.py'
    teacher = Config.fromfile(CONFIGS.parents[1] / cfg.model.teacher.cfg)
    assert teacher.model.head.num_classes == cfg.model.head.num_classes
    assert cfg.model.teacher.checkpoint == \
        f'work_dirs/{teacher_config}/epoch_{teacher.train_cfg.max_epochs}.pth'
    assert cfg.model.distillation == dict(type='hard', alpha=0.5)
    assert cfg.test_evaluator.type == 'DistillationAccuracy'


def train_transforms(cfg):
    return {t['type']: t for t in cfg.train_dataloader.dataset.pipeline}


@pytest.mark.parametrize('folder', SMALL_SETS)
@pytest.mark.parametrize('model', [*STUDENT_WEIGHTS, 'regnety-16gf'])
def test_small_sets_follow_issue_45(folder, model):
    """deit#45 (CIFAR-10 and Cars; #175 extends it to the other small
    sets): SGD, lr 0.01, weight decay 1e-4, batch 768, 1000 epochs, no
    random erasing, no stochastic depth, the rest as on ImageNet."""
    cfg = load(folder, model)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == \
        ('SGD', 0.01, 1e-4)
    assert optimizer.momentum == 0.9  # main.py's default
    assert cfg.train_cfg.max_epochs == 1000
    assert cfg.auto_scale_lr.base_batch_size == 768
    assert 8 * cfg.train_dataloader.batch_size == 768
    transforms = train_transforms(cfg)
    assert 'RandomErasing' not in transforms
    assert transforms['RandAugment']['policies'] == 'rand-m9-mstd0.5-inc1'
    if model != 'regnety-16gf':
        assert cfg.model.backbone.drop_path_rate == 0.0
    check_imagenet_rest(cfg)


@pytest.mark.parametrize('folder', ['inat2018', 'inat2019'])
@pytest.mark.parametrize('model', [*STUDENT_WEIGHTS, 'regnety-16gf'])
def test_inaturalist_follows_issue_105(folder, model):
    """deit#105: AdamW, lr 7.5e-5 at batch 768 (after scaling, #141),
    weight decay 0.05, 360 epochs, stochastic depth 0.1, erasing 0.1."""
    cfg = load(folder, model)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == \
        ('AdamW', 7.5e-5, 0.05)
    assert cfg.train_cfg.max_epochs == 360
    assert cfg.auto_scale_lr.base_batch_size == 768
    assert 8 * cfg.train_dataloader.batch_size == 768
    transforms = train_transforms(cfg)
    assert transforms['RandomErasing']['erase_prob'] == 0.1
    assert transforms['RandAugment']['policies'] == 'rand-m9-mstd0.5-inc1'
    if model != 'regnety-16gf':
        assert cfg.model.backbone.drop_path_rate == 0.1
    check_imagenet_rest(cfg)


def check_imagenet_rest(cfg):
    """What both answers keep from the ImageNet recipe: cosine with 5
    warm-up epochs from 1e-6 (#156: not lengthened), label smoothing 0.1,
    Mixup 0.8 / CutMix 1.0, repeated augmentation, 224 px."""
    scheduler, = cfg.param_scheduler
    assert (scheduler.type, scheduler.warmup_length,
            scheduler.warmup_start_lr, scheduler.T_max) == \
        ('WarmupCosineLR', 5, 1e-6, cfg.train_cfg.max_epochs)
    assert cfg.model.head.loss.label_smoothing == 0.1
    assert [(a.type, a.alpha) for a in cfg.model.train_cfg.augments] == \
        [('Mixup', 0.8), ('CutMix', 1.0)]
    assert cfg.model.train_cfg.label_smoothing == 0.1
    assert cfg.train_dataloader.sampler.type == 'RepeatAugSampler'
    assert train_transforms(cfg)['RandomResizedCrop']['scale'] == 224
    test_transforms = {t['type']: t
                       for t in cfg.test_dataloader.dataset.pipeline}
    assert test_transforms['CenterCrop']['crop_size'] == 224


def test_cifar_pipelines_take_the_images_from_memory():
    for folder in ('cifar10', 'cifar100'):
        cfg = load(folder, 'deit-small')
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            assert loader.dataset.pipeline[0]['type'] != 'LoadImageFromFile'
    cfg = load('flowers102', 'deit-small')
    assert cfg.train_dataloader.dataset.pipeline[0]['type'] == \
        'LoadImageFromFile'
