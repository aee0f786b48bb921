"""Reading checkpoint files safely: safetensors, or ``torch.load`` with
``weights_only=True``; never a silent unsafe unpickle."""
import os
import os.path as osp
from typing import Any, Dict, Optional
from urllib.parse import urlparse

import torch


class CheckpointError(RuntimeError):
    """A checkpoint could not be read or does not fit the model."""


def is_url(source: str) -> bool:
    return urlparse(str(source)).scheme in ('http', 'https')


def cache_dir() -> str:
    """Where downloaded weights are kept (torch hub's ``checkpoints``)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def download(url: str, progress: bool = True) -> str:
    """Download ``url`` into the cache once and return the local path.

    ``torch.hub.download_url_to_file`` writes to a temporary file and renames
    it, so an interrupted download never leaves a truncated cache entry.
    """
    filename = osp.basename(urlparse(url).path)
    path = osp.join(cache_dir(), filename)
    if not osp.exists(path):
        os.makedirs(cache_dir(), exist_ok=True)
        torch.hub.download_url_to_file(url, path, progress=progress)
    return path


def resolve(source: str) -> str:
    """A local path for ``source`` (a path or a URL, downloaded once)."""
    source = str(source)
    if is_url(source):
        return download(source)
    path = osp.expanduser(source)
    if not osp.exists(path):
        raise FileNotFoundError(f'checkpoint not found: {source}')
    return path


def read_checkpoint(source: str, map_location: str = 'cpu',
                    trusted: bool = False) -> Dict[str, Any]:
    """Load a checkpoint file into a dict.

    Args:
        source: path or URL of a ``.safetensors`` file or a torch pickle
            (``.pth``/``.pt``/``.bin``).
        map_location: device for the tensors.
        trusted: allow full unpickling (``weights_only=False``). Only for
            files whose origin you trust: a pickle can run arbitrary code.

    Raises:
        FileNotFoundError: the path does not exist.
        CheckpointError: the file is unreadable, truncated, or holds objects
            that safe loading does not allow (the message names the path).
    """
    path = resolve(source)
    if osp.isdir(path):
        raise CheckpointError(f'{path} is a folder, not a checkpoint file')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        try:
            return load_file(path, device=str(map_location))
        except Exception as error:
            raise CheckpointError(
                f'cannot read safetensors file {path}: {error}') from error
    try:
        return torch.load(path, map_location=map_location,
                          weights_only=not trusted)
    except Exception as error:
        hint = ''
        if 'weights_only' in str(error) or 'Unsupported global' in str(error):
            hint = (' It holds objects that safe loading does not allow; if '
                    'you trust its origin, load it with trusted=True.')
        raise CheckpointError(
            f'cannot read checkpoint {path}: {error}.{hint}') from error


def unwrap_state_dict(checkpoint: Dict[str, Any],
                      key: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """The model weights inside a checkpoint dict: under ``key`` when given,
    else under 'state_dict' (mmengine), 'model' (official DeiT) or 'module',
    else the dict itself."""
    if key is not None:
        if key not in checkpoint:
            raise CheckpointError(f'checkpoint has no "{key}" entry; it has '
                                  f'{sorted(checkpoint)[:10]}')
        return checkpoint[key]
    for candidate in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(candidate), dict):
            return checkpoint[candidate]
    return checkpoint
