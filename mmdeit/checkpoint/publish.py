"""Publishing a training checkpoint: the weights and their meta, nothing the
runner needs to resume, under a name that carries its hash."""
import hashlib
import io
import os.path as osp
from typing import Any, Dict

import torch
from mmengine.logging import print_log

from .files import write_durably
from .reading import read_checkpoint

# What a published checkpoint keeps; the optimizer, parameter schedulers,
# message hub (log history) and the EMA hook's copy are dropped.
PUBLISHED_KEYS = ('state_dict', 'meta')


def strip_training_state(checkpoint: Dict[str, Any]) -> Dict[str, Any]:
    """``{'state_dict': ..., 'meta': ...}`` of a runner checkpoint.

    With mmengine's ``EMAHook`` the averaged weights are already the
    ``state_dict``: the hook swaps them in before each save and keeps the
    raw weights in ``ema_state_dict`` (keys ``module.*``, plus ``steps``)
    for resuming. So the EMA weights are the ones published, and
    ``ema_state_dict`` goes with the rest of the training state.
    """
    if 'state_dict' not in checkpoint:
        raise KeyError('not a runner checkpoint: no "state_dict" entry; it '
                       f'has {sorted(checkpoint)[:10]}')
    return {key: checkpoint[key]
            for key in PUBLISHED_KEYS if key in checkpoint}


def hashed_path(path: str, sha256: str) -> str:
    """``out.pth`` -> ``out-<first 8 hex digits of the SHA-256>.pth``."""
    stem, ext = osp.splitext(path)
    return f'{stem}-{sha256[:8]}{ext or ".pth"}'


def publish_checkpoint(source: str, out: str) -> str:
    """Publish the runner checkpoint ``source`` as ``out-<sha8>.pth`` (the
    SHA-256 of the published file) and return that path.

    The file is written durably and atomically (temporary file, fsync,
    rename), so a failed run leaves no partial file.
    """
    checkpoint = read_checkpoint(source)
    published = strip_training_state(checkpoint)
    buffer = io.BytesIO()
    torch.save(published, buffer)
    data = buffer.getvalue()
    path = hashed_path(out, hashlib.sha256(data).hexdigest())

    def write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            f.write(data)

    write_durably(path, write)
    dropped = sorted(set(checkpoint) - set(published))
    ema = 'EMA weights' if 'ema_state_dict' in checkpoint else 'weights'
    print_log(f'published the {ema} of {source} as {path}; dropped: '
              f'{", ".join(dropped) or "nothing"}', logger='current')
    return path
