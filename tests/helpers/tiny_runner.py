"""A tiny DeiT training setup for the engine tests: image folders written
in tmp and a user config on the repo's DeiT-tiny config (embed 16, one
layer, 16 px images, patch 8), built into a runner in this process."""
from pathlib import Path

from mmengine.config import Config

from mmdeit.registry import RUNNERS
from mmdeit.utils import register_all_modules
from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import DEIT_TINY_CONFIG

CONFIG = '''
_base_ = ['{base}']
data_root = '{data_root}'
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=16, num_layers=1, num_heads=2,
                  feedforward_channels=32),
        img_size=16, patch_size=8),
    head=dict(num_classes={classes}, in_channels=16))
data_preprocessor = dict(num_classes={classes})
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=16, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=18, edge='short'),
    dict(type='CenterCrop', crop_size=16),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
'''


def write_config(folder: Path, data_root: Path, classes: int = 2,
                 extra: str = '') -> Path:
    """The user config (plus ``extra`` lines) as ``folder/deit_<folder
    name>.py``: runners of one process started within a second get distinct
    experiment names, hence their own loggers and log files."""
    path = folder / f'deit_{folder.name}.py'
    path.write_text(CONFIG.format(base=DEIT_TINY_CONFIG, data_root=data_root,
                                  classes=classes) + extra)
    return path


def tiny_config(tmp_path: Path, classes: int = 2, extra: str = '',
                **options) -> Config:
    """The config, with ``options`` (dotted keys) merged and a work dir."""
    data_root = tmp_path / 'data'
    if not data_root.exists():
        write_image_folder(data_root, classes)
    cfg = Config.fromfile(write_config(tmp_path, data_root, classes, extra))
    cfg.merge_from_dict(options)
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


def build_runner(cfg: Config):
    register_all_modules(init_default_scope=False)
    return RUNNERS.build(cfg)


def log_text(work_dir: Path) -> str:
    """All the runner logs of a work dir."""
    return '\n'.join(p.read_text() for p in sorted(work_dir.glob('*/*.log')))
