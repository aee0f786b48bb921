"""What fixes the training batches of a run, as recorded teacher labels
(``model.teacher.cache``) are keyed: the fingerprint the runner hands the
model with the cache folder.

It covers the data (the dataset config and the content of every file it
names, such as an annotation list or an archive of images; an image folder
is named, not scanned: when replaying, each batch's images are checked
against a digest recorded with its labels), the pipeline, the batch
augments and normalisation, the sampler and batch sampler, the batch per
process, the number of processes, the run seed and the training loop. Not
the number of epochs: an epoch's batches depend on its index, not on how
many follow, and the recording says which epochs it holds.
"""
import hashlib
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, ConfigDict

# files above this size are identified by size and their first and last
# MiB instead of their whole content
WHOLE_HASH_LIMIT = 1 << 30
PATH_KEYS = ('ann_file', 'data_prefix')
# dataset keys that place the data but do not change it
PLACEMENT_KEYS = ('data_root', 'lazy_init', 'serialize_data')


def plain(value):
    """``value`` as JSON holds it: dicts with sorted keys, tuples as
    lists, classes and functions by their qualified names."""
    if isinstance(value, (ConfigDict, dict)):
        return {str(k): plain(v) for k, v in sorted(
            dict(value).items(), key=lambda item: str(item[0]))}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    name = getattr(value, '__qualname__', None)
    if name is not None:
        return f'{getattr(value, "__module__", "")}.{name}'
    return repr(value)


def file_identity(path: str) -> Optional[str]:
    """'sha256:<hex>' of a file's content (for files over 1 GiB: of its
    size and first and last MiB), 'folder' for a folder, None when absent."""
    if osp.isdir(path):
        return 'folder'
    if not osp.isfile(path):
        return None
    digest = hashlib.sha256()
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        if size <= WHOLE_HASH_LIMIT:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        else:
            digest.update(str(size).encode())
            digest.update(f.read(1 << 20))
            f.seek(-(1 << 20), os.SEEK_END)
            digest.update(f.read())
    return f'sha256:{digest.hexdigest()}'


def data_identity(dataset: dict) -> dict:
    """The dataset config without where the data lies (``data_root``),
    and the content of each file it names, by its path relative to the
    data root: the same data moved elsewhere keeps its fingerprint.
    Nested datasets (a ``dataset`` or ``datasets`` key) are followed."""
    dataset = dict(dataset)
    root = dataset.get('data_root') or ''
    files = {}
    for key in PATH_KEYS:
        value = dataset.get(key)
        for relative in (value.values() if isinstance(value, dict)
                         else [value]):
            if isinstance(relative, str) and relative:
                files[relative] = file_identity(osp.join(root, relative))
    identity = dict(config={k: plain(v) for k, v in dataset.items()
                            if k not in PLACEMENT_KEYS and
                            k not in ('dataset', 'datasets')},
                    files=files)
    if isinstance(dataset.get('dataset'), dict):
        identity['dataset'] = data_identity(dataset['dataset'])
    if isinstance(dataset.get('datasets'), (list, tuple)):
        identity['datasets'] = [data_identity(d) for d in dataset['datasets']]
    return identity


def batch_fingerprint(cfg: Config, model: dict, seed: int,
                      world_size: int) -> dict:
    """The fingerprint of the training batches of the run configured by
    ``cfg`` (its ``model`` dict as the runner builds it, with the data
    preprocessor folded in), with run seed ``seed`` on ``world_size``
    processes."""
    loader = cfg.train_dataloader
    randomness = cfg.get('randomness') or {}
    return plain(dict(
        data=data_identity(loader.dataset),
        sampler=loader.get('sampler'),
        batch_sampler=loader.get('batch_sampler'),
        collate_fn=loader.get('collate_fn'),
        batch_size=loader.batch_size,
        drop_last=loader.get('drop_last', False),
        processes=world_size,
        # with diff_rank_seed each rank runs with seed + rank
        seed=seed,
        diff_rank_seed=randomness.get('diff_rank_seed', False),
        preprocessing=model.get('data_preprocessor'),
        batch_augments=model.get('train_cfg'),
        train_loop=(cfg.get('train_cfg') or {}).get('type'),
    ))


def complete_cache(model: dict, cfg: Config, seed: int, rank: int,
                   world_size: int) -> dict:
    """``model`` with ``teacher.cache`` (a folder, or ``dict(dir=...,
    topk=...)``) completed with the batch fingerprint and the number of
    epochs, as :func:`mmdeit.models.teachers.label_cache.open_label_cache`
    takes it; unchanged without a cache."""
    teacher = model.get('teacher')
    if not isinstance(teacher, dict) or teacher.get('cache') is None:
        return model
    cache = teacher['cache']
    cache = dict(dir=cache) if isinstance(cache, str) else dict(cache)
    epochs = (cfg.get('train_cfg') or {}).get('max_epochs')
    if not epochs:
        raise ValueError(
            'model.teacher.cache records labels per epoch: it needs an '
            'epoch-based training loop (train_cfg.max_epochs)')
    randomness = cfg.get('randomness') or {}
    base_seed = seed - rank if randomness.get('diff_rank_seed') else seed
    cache.update(
        batches=batch_fingerprint(cfg, model, base_seed, world_size),
        epochs=epochs)
    model = dict(model)
    model['teacher'] = dict(teacher, cache=cache)
    return model
