"""Writing checkpoint files: all at once or not at all."""
from typing import Any

import torch

from .io import write_durably


def save_weights(obj: Any, path: str) -> str:
    """Save durably and atomically (:func:`mmdeit.checkpoint.io.
    write_durably`): a flat dict of tensors as safetensors when ``path``
    ends with ``.safetensors``, anything else with ``torch.save``."""
    if path.endswith('.safetensors'):
        # safetensors is optional: only .safetensors files need it.
        from safetensors.torch import save_file

        # safetensors refuses tensors that share memory (views of one qkv).
        tensors = {k: v.detach().cpu().contiguous().clone()
                   for k, v in obj.items()}
        # transformers reads only files whose metadata says 'pt'.
        return write_durably(path, lambda tmp: save_file(
            tensors, tmp, metadata=dict(format='pt')))
    return write_durably(path, lambda tmp: torch.save(obj, tmp))
