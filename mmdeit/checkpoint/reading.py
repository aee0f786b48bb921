"""A checkpoint source (a path, a URL, a Hugging Face folder) into a dict,
and the weights inside it."""
from typing import Any, Dict, Optional

import torch

from .errors import CheckpointError
from .files import read_file, resolve
from .hf_folder import hf_folder_of, read_hf_folder


def read_checkpoint(source: str, map_location: str = 'cpu',
                    trusted: bool = False) -> Dict[str, Any]:
    """Load a checkpoint into a dict.

    Args:
        source: path or URL of a ``.safetensors`` file or a torch pickle
            (``.pth``/``.pt``/``.bin``), read safely by
            :func:`mmdeit.checkpoint.files.read_file`; or a Hugging Face
            model folder (or the ``model.safetensors`` in one), read by
            :func:`mmdeit.checkpoint.hf_folder.read_hf_folder` into
            ``{'state_dict': ..., 'meta': ...}``.
        map_location: device for the tensors.
        trusted: allow full unpickling (``weights_only=False``). Only for
            files whose origin you trust: a pickle can run arbitrary code.

    Raises:
        FileNotFoundError: the path does not exist.
        CheckpointError: the file is unreadable, truncated, or holds objects
            that safe loading does not allow (the message names the path).
    """
    path = resolve(source)
    if hf_folder_of(path) is not None:
        return read_hf_folder(path, map_location, trusted)
    return read_file(path, map_location, trusted)


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
