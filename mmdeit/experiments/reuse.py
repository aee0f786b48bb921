"""When a finished job is reused: it ran on the same content.

A job's record, written when it succeeds, holds what its result depends on:
its command, the config as it resolves (every ``_base_`` file and command
line option merged), the files of the data it reads, the code it runs (the
package and the scripts of its command), the checkpoints of other runs it
reads and the keys of the jobs it depends on. Its key is a digest of all
of it. A job whose key matches its record's is reused; any difference
reruns it, and :func:`differences` says which.
"""
import hashlib
import json
import os
import os.path as osp
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from mmdeit.checkpoint.files import sha256_of as file_digest

# The package's sub-packages a training or test job never imports (the top
# layer of .importlinter): editing them reruns no job.
NOT_RUN_BY_JOBS = ('experiments', 'benchmarks')
PACKAGE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def package_digests() -> Dict[str, str]:
    """``mmdeit/<path>.py`` -> digest, for every module a job may run (the
    package but :data:`NOT_RUN_BY_JOBS`). Read once per process."""
    digests = {}
    for path in sorted(PACKAGE.rglob('*.py')):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in NOT_RUN_BY_JOBS:
            continue
        digests[f'{PACKAGE.name}/{relative.as_posix()}'] = file_digest(
            str(path))
    return digests


def code_digests(files: Sequence[str] = ()) -> Dict[str, str]:
    """The package's digests plus those of ``files`` (scripts a command
    runs, modules of the top layer it imports), by path."""
    digests = dict(package_digests())
    for path in files:
        digests[path] = file_digest(path)
    return digests


def flatten(value: Any, prefix: str = '') -> Dict[str, str]:
    """A config as ``{'model.backbone.arch': "'deit-small'", ...}``: one
    entry per leaf (lists indexed), each value as its ``repr``."""
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return {prefix: repr(value)}
    flat = {}
    for key, item in items:
        flat.update(flatten(item, f'{prefix}.{key}' if prefix else str(key)))
    if not flat:
        flat[prefix] = repr(value)
    return flat


def data_digests(cfg: Mapping) -> Dict[str, str]:
    """The data files a config's loaders read that stand for their content:
    each dataset's annotation file, and the record a converter leaves of
    what its folder holds (``meta/source.json``, e.g. from
    :func:`mmdeit.datasets.fashion_mnist.convert`). Path -> digest, or
    'missing'."""
    digests = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        root = dataset.get('data_root') or ''
        files = [osp.join(root, 'meta', 'source.json')]
        if dataset.get('ann_file'):
            files.append(osp.join(root, dataset['ann_file']))
        for path in files:
            digests[path] = file_digest(path) if osp.isfile(path) \
                else 'missing'
    return digests


def job_key(record: Mapping) -> str:
    """The digest of a record's content (its times left out)."""
    content = {key: value for key, value in record.items()
               if key not in ('key', 'times')}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()
                          ).hexdigest()


def read_record(path: str) -> Optional[dict]:
    """The record at ``path``; None if there is none or it is unreadable."""
    try:
        with open(path) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and 'key' in record else None


def write_record(path: str, record: Mapping) -> None:
    """Write ``record`` (with its key) atomically."""
    with open(path + '.part', 'w') as f:
        json.dump(dict(record, key=job_key(record)), f, indent=1)
    os.replace(path + '.part', path)


def _changed(old: Mapping, new: Mapping, most: int = 3) -> List[str]:
    """The keys that differ between two flat dicts, at most ``most`` named."""
    keys = sorted(key for key in set(old) | set(new)
                  if old.get(key) != new.get(key))
    named = keys[:most] + ([f'{len(keys) - most} more'] if
                           len(keys) > most else [])
    return named


def differences(old: Mapping, new: Mapping) -> List[str]:
    """What changed between an earlier record and the one a job would have
    now, in words (empty when they are the same content)."""
    said = []
    old_config, new_config = old.get('config', {}), new.get('config', {})
    if old_config != new_config:
        changes = []
        for key in _changed(old_config, new_config):
            if key in old_config and key in new_config:
                changes.append(f'{key} {old_config[key]} -> '
                               f'{new_config[key]}')
            elif key in new_config:
                changes.append(f'{key} = {new_config[key]} (new)')
            elif key in old_config:
                changes.append(f'{key} (removed)')
            else:
                changes.append(key)
        said.append('the config changed: ' + ', '.join(changes))
    for part, what in (('code', 'the code'), ('data', 'the data')):
        if old.get(part) != new.get(part):
            said.append(f'{what} changed: ' + ', '.join(
                _changed(old.get(part, {}), new.get(part, {}))))
    old_depends = old.get('depends', {})
    for name, key in new.get('depends', {}).items():
        if old_depends.get(name) != key:
            said.append(f'{name} has a new result')
    old_checkpoints = old.get('checkpoints', {})
    for run_dir, digest in new.get('checkpoints', {}).items():
        if old_checkpoints.get(run_dir) != digest:
            said.append(f'a new checkpoint in {run_dir}')
    if old.get('command') != new.get('command') and not said:
        said.append('its command changed')
    return said
