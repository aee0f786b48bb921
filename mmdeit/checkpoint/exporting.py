"""Writing mmdeit weights as other layouts' releases: an official/timm
file, a Hugging Face transformers folder."""
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

from torch import nn

from .files import save_weights, write_json
from .hf_folder import (CONFIG_FILE, PREPROCESSOR_FILE, WEIGHT_FILES,
                        hf_config, hf_preprocessor_config)
from .layouts import StateDict, from_mmdeit


def save_timm(state: StateDict, path: str) -> str:
    """Write ``state`` (mmdeit names) in the official layout: ``{'model':
    state_dict}`` for ``.pth``, the bare state dict for ``.safetensors``."""
    timm_state = {k: v.detach().cpu()
                  for k, v in from_mmdeit(state, 'timm').items()}
    if path.endswith('.safetensors'):
        return save_weights(timm_state, path)
    return save_weights(dict(model=timm_state), path)


def default_classes(num_classes: int, meta: Optional[Dict[str, Any]],
                    imagenet_classes: Sequence[str]) -> Optional[List[str]]:
    """Class names for an export: the checkpoint's ``dataset_meta`` when it
    has one class per output, else ``imagenet_classes`` (ImageNet-1k's, which
    the caller supplies) for 1000 classes, else None."""
    classes = ((meta or {}).get('dataset_meta') or {}).get('classes')
    if classes is not None and len(classes) == num_classes:
        return list(classes)
    if num_classes == 1000:
        return list(imagenet_classes)
    return None


def save_hf(model: nn.Module, out_dir: str,
            state: Optional[StateDict] = None,
            classes: Optional[Sequence[str]] = None) -> str:
    """Write a transformers model folder: ``config.json``,
    ``model.safetensors`` and ``preprocessor_config.json``.

    Args:
        model: the classifier (its structure sets the config).
        out_dir: the folder, created if needed.
        state: the weights in mmdeit names (default: the model's own).
        classes: class names for ``id2label``.

    ``AutoModelForImageClassification.from_pretrained(out_dir)`` (or the
    class named in the config) and ``AutoImageProcessor`` read it.
    """
    state = model.state_dict() if state is None else state
    config = hf_config(model, classes)
    os.makedirs(out_dir, exist_ok=True)
    save_weights(from_mmdeit(state, 'hf'),
                 osp.join(out_dir, WEIGHT_FILES[0]))
    write_json(config, osp.join(out_dir, CONFIG_FILE))
    write_json(hf_preprocessor_config(model),
               osp.join(out_dir, PREPROCESSOR_FILE))
    return out_dir
