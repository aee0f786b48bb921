"""Writing checkpoint files: all at once or not at all."""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Any, Iterator

import torch


@contextmanager
def temporary_file(path: str) -> Iterator[str]:
    """A temporary file beside ``path`` (same folder, so renaming it onto
    ``path`` is atomic), removed on exit unless renamed away."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    os.close(handle)
    try:
        yield tmp
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def save_weights(obj: Any, path: str) -> str:
    """Save durably and atomically (:func:`mmdeit.checkpoint.io.
    write_durably`): a flat dict of tensors as safetensors when ``path``
    ends with ``.safetensors``, anything else with ``torch.save``."""
    from .io import write_durably
    if path.endswith('.safetensors'):
        from safetensors.torch import save_file

        # safetensors refuses tensors that share memory (views of one qkv).
        tensors = {k: v.detach().cpu().contiguous().clone()
                   for k, v in obj.items()}
        # transformers reads only files whose metadata says 'pt'.
        return write_durably(path, lambda tmp: save_file(
            tensors, tmp, metadata=dict(format='pt')))
    return write_durably(path, lambda tmp: torch.save(obj, tmp))
