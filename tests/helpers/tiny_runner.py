"""Tiny DeiT training setups: image folders written in tmp and a user
config on the repo's DeiT-tiny config (by default embed 16, one layer,
16 px images, patch 8), written for tools/train.py or built into a runner
in this process."""
from pathlib import Path

from mmengine.config import Config

from mmdeit.registry import RUNNERS
from mmdeit.utils import register_all_modules
from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import DEIT_TINY_CONFIG


def model_text(classes: int, dims: int = 16, layers: int = 1,
               heads: int = 2, size: int = 16, patch: int = 8,
               ffn: int = None, **more) -> str:
    """Config lines of a tiny DeiT over the repo's DeiT-tiny config:
    ``dims`` wide, ``layers`` deep, on ``size`` px images cut in ``patch``
    px patches, ``classes`` outputs; ``more`` model keys (a teacher) as
    Python values."""
    more = ''.join(f',\n    {key}={value!r}' for key, value in more.items())
    return f'''
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims={dims}, num_layers={layers},
                  num_heads={heads}, feedforward_channels={ffn or 2 * dims}),
        img_size={size}, patch_size={patch}),
    head=dict(num_classes={classes}, in_channels={dims}){more})
data_preprocessor = dict(num_classes={classes})
'''


def small_deit_overrides(layers: int = 3) -> dict:
    """Dotted config overrides of a DeiT of ``layers`` blocks of 32 dims on
    32 px images cut in 16 px patches, with 10 classes."""
    return {
        'model.backbone.arch': dict(_delete_=True, embed_dims=32,
                                    num_layers=layers, num_heads=2,
                                    feedforward_channels=64),
        'model.backbone.img_size': 32, 'model.backbone.patch_size': 16,
        'model.head.in_channels': 32, 'model.head.num_classes': 10,
        'data_preprocessor.num_classes': 10}


def train_pipeline_text(size: int = 16, deit_augment: bool = False) -> str:
    """Config lines of ``train_pipeline``: a ``size`` px crop and a flip
    (``deit_augment``: DeiT's RandAugment and erasing too)."""
    augment = '''
    dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'),
    dict(type='RandomErasing', erase_prob=0.25, mode='pixel'),''' \
        if deit_augment else ''
    return f'''
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale={size}, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),{augment}
    dict(type='PackInputs'),
]
'''


def evaluation_pipeline_text(size: int = 16, resize: int = None,
                             interpolation: str = 'bicubic') -> str:
    """Config lines of ``test_pipeline``: the short edge to ``resize`` px
    (default ``size`` + 1/8) with ``interpolation`` (None: the transform's
    default), then a ``size`` px centre crop."""
    resize = resize or size + size // 8
    how = f", interpolation='{interpolation}'" if interpolation else ''
    return f'''
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale={resize}, edge='short'{how}),
    dict(type='CenterCrop', crop_size={size}),
    dict(type='PackInputs'),
]
'''


def data_text(data_root, size: int = 16, train_batch: int = 4,
              val_batch: int = 4, workers: int = 0,
              deit_augment: bool = False, shuffle: bool = False,
              interpolation: str = 'bicubic') -> str:
    """Config lines of image folders ``data_root/{train,val}/<class>/``:
    the pipelines of :func:`train_pipeline_text` and
    :func:`evaluation_pipeline_text` on ``size`` px, ``workers`` loader
    processes for training, a plain shuffling sampler with ``shuffle``
    (else the config's own)."""
    sampler = "\n    sampler=dict(_delete_=True, type='DefaultSampler', " \
        "shuffle=True)," if shuffle else ''
    return f"\ndata_root = '{data_root}'" + train_pipeline_text(
        size, deit_augment) + evaluation_pipeline_text(
            size, interpolation=interpolation) + f'''
train_dataloader = dict(
    batch_size={train_batch}, num_workers={workers},
    persistent_workers={bool(workers)},{sampler}
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size={val_batch}, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
'''


def user_config(data_root, classes: int, base=DEIT_TINY_CONFIG,
                **sizes) -> str:
    """A user config written the MMPretrain way: the repo's DeiT-tiny
    config as base, a tiny arch (:func:`model_text`) and image folders
    (:func:`data_text`); ``sizes`` go to either."""
    model_keys = ('dims', 'layers', 'heads', 'patch', 'ffn')
    model = {key: sizes.pop(key) for key in model_keys if key in sizes}
    return f"_base_ = ['{base}']\n" + model_text(
        classes, size=sizes.get('size', 16), **model) + data_text(
            data_root, **sizes)


RUN = '''
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
'''
# neither validation nor test
NO_EVALUATION = '''
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
'''


def write_config(folder: Path, data_root: Path, classes: int = 2,
                 extra: str = '') -> Path:
    """The user config (plus ``extra`` lines) as ``folder/deit_<folder
    name>.py``: runners of one process started within a second get distinct
    experiment names, hence their own loggers and log files."""
    path = folder / f'deit_{folder.name}.py'
    path.write_text(user_config(data_root, classes, shuffle=True) + RUN +
                    extra)
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
