"""Every wrong value in a config ends in a last line that names the key, the
value and what is allowed; a misspelt top-level key gets a warning naming the
closest known key.

Each case mutates a shipped config (shrunk to a one-layer model on a tiny
image folder written here) and runs it through tools/train.py, which stops
where the value is consumed: building the runner, starting training or, for
shapes, the first iteration.
"""
import re
import traceback
import warnings
from pathlib import Path
from typing import NamedTuple, Optional, Tuple

import pytest
from mmengine.config import Config

from mmdeit.utils.config_paths import (ConfigKeyWarning,
                                       unknown_top_level_keys)
from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import ROOT, load_tool
from tests.helpers.tiny_runner import (evaluation_pipeline_text,
                                       train_pipeline_text)

CONFIGS = {
    'tiny': 'configs/deit/deit-tiny_pt-4xb256_in1k.py',
    'distilled': 'configs/deit/deit-tiny-distilled_pt-4xb256_in1k.py',
    'cifar': 'configs/finetune/cifar10/deit-small_ft-8xb96_cifar10.py',
    'inat': 'configs/finetune/inat2018/deit-small_ft-8xb96_inat2018.py',
}
ARCH = ('arch=dict(_delete_=True, embed_dims=16, num_layers=1, num_heads=2, '
        'feedforward_channels=32), img_size=16, patch_size=8')
SHRUNK = '''
_base_ = ['{base}']
data_root = '{data_root}'
model = dict(
    backbone=dict({arch}, init_cfg=None),
    head=dict(num_classes=2, in_channels=16){teacher})
data_preprocessor = dict(num_classes=2)
''' + train_pipeline_text() + evaluation_pipeline_text(
    interpolation=None) + '''
train_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=0, persistent_workers=False,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_root=data_root,
                 data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
'''
TEACHER = ''',
    teacher=dict(
        _delete_=True, checkpoint=None,
        cfg=dict(type='ImageClassifier',
                 backbone=dict(type='VisionTransformer', {arch}),
                 head=dict(type='LinearClsHead', num_classes=2,
                           in_channels=16),
                 data_preprocessor=dict(
                     mean=[123.675, 116.28, 103.53],
                     std=[58.395, 57.12, 57.375], to_rgb=True)))'''


class Case(NamedTuple):
    config: str
    options: Tuple[Tuple[str, object], ...]
    # what the last line must hold: the key (where the config says it) and
    # the value, as ``key=repr(value)``, then what is allowed
    named: str
    allowed: str
    warned: Optional[str] = None


def case(config, key, value, allowed, named=None, more=(), warned=None):
    named = named or f'{key}={value!r}'
    return pytest.param(Case(config, ((key, value), *more), named, allowed,
                             warned), id=f'{config}:{key}={value!r}')


CASES = [
    # model: the backbone
    case('tiny', 'model.backbone.patch_size', 0, 'a positive int'),
    case('tiny', 'model.backbone.patch_size', -8, 'a positive int'),
    case('tiny', 'model.backbone.patch_size', '8', 'a positive int'),
    case('tiny', 'model.backbone.patch_size', 5,
         'a multiple of patch_size (5, 5)',
         named='model.backbone.img_size=16'),
    case('tiny', 'model.backbone.img_size', 20,
         'a multiple of patch_size (8, 8)'),
    case('tiny', 'model.backbone.img_size', 0, 'a positive int'),
    case('tiny', 'model.backbone.img_size', (16, 16, 16), 'a pair'),
    case('tiny', 'model.backbone.drop_path_rate', 1.5, 'in [0, 1)'),
    case('tiny', 'model.backbone.drop_path_rate', -0.1, 'in [0, 1)'),
    case('tiny', 'model.backbone.drop_rate', -0.1, 'in [0, 1)'),
    case('tiny', 'model.backbone.attn_drop_rate', 1.0, 'in [0, 1)'),
    case('tiny', 'model.backbone.arch', 'deit-tinyy',
         "did you mean 'deit-tiny'"),
    case('tiny', 'model.backbone.arch.num_heads', 3,
         'divides embed_dims (16)'),
    case('tiny', 'model.backbone.arch.num_layers', 0, 'a positive int'),
    case('tiny', 'model.backbone.arch.embed_dims', 0, 'a positive int'),
    case('tiny', 'model.backbone.arch.feedforward_channels', -1,
         'a positive int'),
    case('tiny', 'model.backbone.in_channels', 0, 'a positive int'),
    case('tiny', 'model.backbone.norm_eps', 0, 'a number > 0'),
    case('tiny', 'model.backbone.out_type', 'cls', "'cls_token'"),
    case('tiny', 'model.backbone.qkv_bias', 'yes', 'one of True, False'),
    case('tiny', 'model.backbone.out_indices', 5, 'in [-1, 1)',
         named='model.backbone.out_indices=5'),
    case('tiny', 'model.backbone.type', 'VisionTransformr',
         "did you mean 'VisionTransformer'"),
    case('tiny', 'model.backbone.drop_path_rat', 0.1,
         "did you mean 'drop_path_rate'"),
    case('cifar', 'model.backbone.drop_path_rate', 2.0, 'in [0, 1)'),
    # model: head, loss, classifier, batch augments, preprocessor
    case('tiny', 'model.head.num_classes', 5,
         'data_preprocessor.num_classes (2)'),
    case('tiny', 'model.head.num_classes', -1, 'a positive int'),
    case('tiny', 'data_preprocessor.num_classes', 0, 'a positive int'),
    case('tiny', 'model.head.in_channels', 17,
         "the backbone's output width (16)"),
    case('tiny', 'model.head.type', 'LinearHead',
         "did you mean 'LinearClsHead'"),
    case('tiny', 'model.head.loss.label_smoothing', 1.5, 'in [0, 1)'),
    case('tiny', 'model.head.loss.type', 'CrossEntropyLos',
         "did you mean 'CrossEntropyLoss'"),
    case('tiny', 'model.type', 'ImageClassifer',
         "did you mean 'ImageClassifier'"),
    case('tiny', 'model.train_cfg.augments.0.alpha', -1, 'a number > 0'),
    case('tiny', 'model.train_cfg.augments.1.type', 'CutMixx',
         "did you mean 'CutMix'"),
    case('tiny', 'model.train_cfg.probs', (0.5, ),
         'one per augment (2)'),
    case('tiny', 'data_preprocessor.mean', [1, 2], 'one per channel (3)'),
    case('tiny', 'data_preprocessor.std', [0, 1, 1], 'numbers > 0'),
    # data
    case('tiny', 'train_dataloader.batch_size', 0, 'a positive int'),
    case('tiny', 'train_dataloader.num_workers', -1, 'an int >= 0'),
    case('tiny', 'train_dataloader.dataset.type', 'CustomDatset',
         "did you mean 'CustomDataset'"),
    case('tiny', 'train_dataloader.dataset.data_prefix', 'trian',
         'an existing folder'),
    case('tiny', 'train_dataloader.dataset.pipeline.1.scale', 0,
         'a positive int'),
    case('tiny', 'train_dataloader.dataset.pipeline.1.type',
         'RandomResizeCrop', "did you mean 'RandomResizedCrop'"),
    case('tiny', 'train_dataloader.dataset.pipeline.1.crop_ratio_range',
         (0.9, 0.1), 'min <= max'),
    case('tiny', 'train_dataloader.dataset.pipeline.2.prob', 1.5,
         'in [0, 1]'),
    case('tiny', 'val_dataloader.dataset.pipeline.1.edge', 'longest',
         "'short'"),
    case('tiny', 'val_dataloader.dataset.pipeline.2.crop_size', 0,
         'a positive int'),
    case('tiny', 'train_dataloader.dataset.pipeline.1.interpolation',
         'bicubicc', "did you mean 'bicubic'"),
    case('tiny', 'train_dataloader.sampler',
         dict(type='RepeatAugSampler', num_repeats=0), 'a positive int',
         named='train_dataloader.sampler.num_repeats=0'),
    case('tiny', 'train_dataloader.sampler.type', 'DefaultSamplr',
         "did you mean 'DefaultSampler'"),
    case('tiny', 'val_evaluator.topk', (1, 0), 'positive ints'),
    case('tiny', 'val_evaluator.type', 'Accuray',
         "did you mean 'Accuracy'"),
    # optimizer
    case('tiny', 'optim_wrapper.optimizer.type', 'AdamWW',
         "did you mean 'AdamW'"),
    case('tiny', 'optim_wrapper.optimizer.lr', -0.001, 'a number >= 0'),
    case('tiny', 'optim_wrapper.optimizer.weight_decay', -0.05,
         'a number >= 0'),
    case('tiny', 'optim_wrapper.optimizer.betas', (0.9, 1.5),
         'two numbers in [0, 1)'),
    case('tiny', 'optim_wrapper.optimizer.eps', -1e-8, 'a number >= 0'),
    case('cifar', 'optim_wrapper.optimizer.momentum', -0.9, 'a number >= 0'),
    case('cifar', 'optim_wrapper.optimizer.lr', 'high', 'a number >= 0'),
    case('tiny', 'optim_wrapper.type', 'OptimWrapperr',
         "did you mean 'OptimWrapper'"),
    case('tiny', 'optim_wrapper.clip_grad', dict(max_norm=-1),
         'a number > 0', named='optim_wrapper.clip_grad.max_norm=-1'),
    case('tiny', 'optim_wrapper.accumulative_counts', 0, 'a positive int'),
    case('tiny', 'optim_wrapper.non_finite_loss', 'ignore', "'raise'"),
    case('tiny', 'optim_wrapper.paramwise_cfg.layer_decay_rate', 1.5,
         'in (0, 1]',
         more=(('optim_wrapper.constructor',
                'LayerDecayOptimWrapperConstructor'), )),
    case('tiny', 'optim_wrapper.constructor', 'LayerDecayConstructor',
         "did you mean 'LayerDecayOptimWrapperConstructor'"),
    case('tiny', 'auto_scale_lr.base_batch_size', 0, 'a positive int'),
    # schedule
    case('tiny', 'param_scheduler.0.T_max', 0, 'a number > 0'),
    case('tiny', 'param_scheduler.0.warmup_length', 400,
         'in [0, T_max (300)]'),
    case('tiny', 'param_scheduler.0.eta_min', -1e-5, 'a number >= 0'),
    case('tiny', 'param_scheduler.0.warmup_start_lr', -1, 'a number >= 0'),
    case('tiny', 'param_scheduler.0.type', 'WarmupCosineLRR',
         "did you mean 'WarmupCosineLR'"),
    case('inat', 'param_scheduler.0.T_max', -360, 'a number > 0'),
    case('cifar', 'param_scheduler.0.warmup_length', -5,
         'in [0, T_max (1000)]'),
    case('tiny', 'train_cfg.max_epochs', 0, 'a positive int'),
    case('tiny', 'train_cfg.val_interval', 0, 'a positive int'),
    # hooks
    case('tiny', 'default_hooks.checkpoint.type', 'AtomicCheckpointHok',
         "did you mean 'AtomicCheckpointHook'"),
    case('tiny', 'default_hooks.checkpoint.interval', 0, 'a positive int'),
    case('tiny', 'default_hooks.bad_images.max_bad_fraction', 1.5,
         'in [0, 1]'),
    case('distilled', 'custom_hooks.0.type', 'DistillationRecordHok',
         "did you mean 'DistillationRecordHook'"),
    # distillation
    case('distilled', 'model.distillation.type', 'hardd',
         "did you mean 'hard'"),
    case('distilled', 'model.distillation.alpha', 1.5, 'in [0, 1]'),
    case('distilled', 'model.distillation.alpha', -0.1, 'in [0, 1]'),
    case('distilled', 'model.distillation.tau', 0, 'a number > 0',
         more=(('model.distillation.type', 'soft'), )),
    case('distilled', 'model.distillation.alph', 0.5,
         "did you mean 'alpha'"),
    case('distilled', 'model.head.type', 'LinearClsHead',
         'a head with a distillation output'),
    case('distilled', 'model.backbone.type', 'VisionTransformer',
         'a backbone with a distillation token'),
    # teacher
    case('distilled', 'model.teacher.cfg', 'deit-tinyy',
         "did you mean 'deit-tiny"),
    case('distilled', 'model.teacher.checkpoint', '/no/such/teacher.pth',
         'an existing file'),
    case('distilled', 'model.teacher.autocast_dtype', 'float8',
         "'bfloat16'"),
    case('distilled', 'model.teacher.input_size', 0, 'a positive int'),
    case('distilled', 'model.teacher.chekpoint', 'x.pth',
         "did you mean 'checkpoint'"),
    case('distilled', 'model.teacher.cfg.backbone.patch_size', 0,
         'a positive int'),
    case('distilled', 'model.teacher.cfg.head.num_classes', 5,
         'the teacher predicts 5 classes but the student 2'),
    # runtime, and misspelt top-level keys (warned, then stopped by
    # another mistake)
    case('tiny', 'runner_type', 'ReliabelRunner',
         "did you mean 'ReliableRunner'"),
    case('tiny', 'model.backbone.patch_size', 0, 'a positive int',
         more=(('optim_wraper', dict(clip_grad=None)), ),
         warned="optim_wraper.*did you mean 'optim_wrapper'"),
    case('tiny', 'model.backbone.patch_size', 0, 'a positive int',
         more=(('paramscheduler', []), ),
         warned="paramscheduler.*did you mean 'param_scheduler'"),
    case('cifar', 'model.backbone.patch_size', 0, 'a positive int',
         more=(('default_hook', dict()), ),
         warned="default_hook.*did you mean 'default_hooks'"),
]


@pytest.fixture(autouse=True, scope='module')
def runner_logs_cheaply():
    """The runner logs the environment (gcc, CUDA... in subprocesses) and
    the config, formatted by yapf, each time it is built: most of the time
    of a case. Collected once, left unformatted here, to keep each case to
    what it checks."""
    from mmengine.config import config
    from mmengine.runner import runner
    collected = runner.collect_env()
    saved = runner.collect_env, config.FormatCode
    runner.collect_env = lambda: collected
    config.FormatCode = lambda text, **kwargs: (text, False)
    yield
    runner.collect_env, config.FormatCode = saved


def in_file(options) -> dict:
    """The options without list items, as nested dicts to merge."""
    merged = {}
    for key, value in options:
        if any(part.isdigit() for part in key.split('.')):
            continue  # left to --cfg-options, which indexes lists
        *parents, last = key.split('.')
        node = merged
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return merged


def user_config(tmp_path: Path, name: str, options) -> Path:
    """The user's config: the shipped config ``name`` shrunk, with the
    ``options`` merged over it."""
    data_root = tmp_path / 'data'
    write_image_folder(data_root, 2)
    teacher = TEACHER.format(arch=ARCH) if name == 'distilled' else ''
    text = SHRUNK.format(base=ROOT / CONFIGS[name], data_root=data_root,
                         arch=ARCH, teacher=teacher)
    shrunk = tmp_path / f'shrunk_{name}.py'
    shrunk.write_text(text)
    path = tmp_path / f'user_{name}.py'
    path.write_text(f"_base_ = ['{shrunk}']\n" + ''.join(
        f'{key} = {value!r}\n' for key, value in in_file(options).items()))
    return path


def cfg_options(options) -> list:
    return [f'{key}={value!r}'.replace(' ', '') for key, value in options
            if any(part.isdigit() for part in key.split('.'))]


def last_line(error: BaseException) -> str:
    """The last line Python prints for ``error`` uncaught."""
    return traceback.format_exception_only(type(error), error)[-1].strip()


@pytest.mark.parametrize('mistake', CASES)
def test_mistake_is_named_in_the_last_line(tmp_path, mistake):
    config = user_config(tmp_path, mistake.config, mistake.options)
    options = cfg_options(mistake.options)
    argv = [str(config), '--work-dir', str(tmp_path / 'work')]
    if options:
        argv += ['--cfg-options', *options]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        with pytest.raises(Exception) as error:
            load_tool('tools/train.py').main(argv)
    line = last_line(error.value)
    assert mistake.named in line, line
    assert mistake.allowed in line, line
    if mistake.warned:
        messages = [str(w.message) for w in caught
                    if issubclass(w.category, ConfigKeyWarning)]
        assert any(re.search(mistake.warned, m) for m in messages), messages


def test_at_least_fifty_mutations_over_every_part():
    assert len(CASES) >= 50
    keys = {param.values[0].options[0][0].split('.')[0] for param in CASES}
    assert {'model', 'train_dataloader', 'optim_wrapper', 'param_scheduler',
            'default_hooks', 'custom_hooks'} <= keys
    distillation = [p for p in CASES
                    if p.values[0].options[0][0].startswith(
                        ('model.distillation', 'model.teacher'))]
    assert len(distillation) >= 8


@pytest.mark.parametrize('path', sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / 'configs').rglob('*.py')
    if '_base_' not in p.parts))
def test_no_shipped_config_has_a_key_like_a_misspelt_one(path):
    """The helper variables of the shipped configs (``base_lr``,
    ``train_pipeline``...) are far from every key the runner reads."""
    assert unknown_top_level_keys(Config.fromfile(ROOT / path)) == {}
