"""Hugging Face transformers layouts:
``DeiTForImageClassificationWithTeacher``, ``DeiTForImageClassification``,
``DeiTModel`` and, for DeiT without distillation token (which the Hub
publishes as ViT), ``ViTForImageClassification`` / ``ViTModel``.

A Hugging Face model is a folder: ``config.json`` and the weights
(``model.safetensors``, ``pytorch_model.bin`` or their sharded forms).
Reading one gives ``{'state_dict': weights, 'meta': {...}}`` where the meta
holds what the weights alone do not say: the LayerNorm eps
(``norm_eps``; transformers' default is 1e-12 where DeiT trains with 1e-6),
the class names (``dataset_meta``) and the whole ``hf_config``.

Key names, transformers (as ``save_pretrained`` writes them; ``M`` is
``deit.`` or ``vit.``, empty for a bare ``DeiTModel``/``ViTModel``; ``L`` is
``M + encoder.layer.i``) -> mmdeit (``B`` is ``backbone.``):

- ``M embeddings.cls_token`` -> ``B cls_token``
- ``M embeddings.distillation_token`` -> ``B dist_token``
- ``M embeddings.position_embeddings`` -> ``B pos_embed``
- ``M embeddings.patch_embeddings.projection`` -> ``B patch_embed.projection``
- ``L.layernorm_before`` -> ``B layers.i.ln1``
- ``L.attention.attention.{query,key,value}`` -> ``B layers.i.attn.qkv``
  (stacked in that order along the output dimension)
- ``L.attention.output.dense`` -> ``B layers.i.attn.proj``
- ``L.layernorm_after`` -> ``B layers.i.ln2``
- ``L.intermediate.dense`` -> ``B layers.i.ffn.fc1``
- ``L.output.dense`` -> ``B layers.i.ffn.fc2``
- ``M layernorm`` -> ``B norm``
- ``classifier`` or ``cls_classifier`` -> ``head.fc``;
  ``distillation_classifier`` -> ``head.fc_dist``

transformers 5 names the modules differently in memory
(``M layers.i.attention.{q,k,v,o}_proj``, ``mlp.fc1``, ``mlp.fc2``) but
writes the names above; both are read. The pooler of ``DeiTModel`` /
``ViTModel`` (a tanh layer DeiT does not have) and a masked-image-modeling
``mask_token`` keep their names and are reported as not used.
"""
import json
import os.path as osp
import pickle
import re
from typing import Any, Dict, List, Optional

import torch

from .formats import StateDict, register_format, rename_keys
from .errors import CheckpointError

CONFIG_FILE = 'config.json'
WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin')
INDEX_FILES = ('model.safetensors.index.json', 'pytorch_model.bin.index.json')
# Architectures that hold DeiT weights, by the model_type of their config.
MODEL_TYPES = ('deit', 'vit')

_MODEL = r'^(?:deit\.|vit\.)?'
_LAYER = _MODEL + r'(?:encoder\.layer|layers)\.(\d+)\.'
HF_TO_MMDEIT_RULES = [
    (_MODEL + r'embeddings\.cls_token$', 'backbone.cls_token'),
    (_MODEL + r'embeddings\.distillation_token$', 'backbone.dist_token'),
    (_MODEL + r'embeddings\.position_embeddings$', 'backbone.pos_embed'),
    (_MODEL + r'embeddings\.patch_embeddings\.projection\.',
     'backbone.patch_embed.projection.'),
    (_LAYER + r'layernorm_before\.', r'backbone.layers.\1.ln1.'),
    (_LAYER + r'layernorm_after\.', r'backbone.layers.\1.ln2.'),
    (_LAYER + r'attention\.(?:output\.dense|o_proj)\.',
     r'backbone.layers.\1.attn.proj.'),
    (_LAYER + r'(?:intermediate\.dense|mlp\.fc1)\.',
     r'backbone.layers.\1.ffn.fc1.'),
    (_LAYER + r'(?:output\.dense|mlp\.fc2)\.', r'backbone.layers.\1.ffn.fc2.'),
    (_MODEL + r'layernorm\.', 'backbone.norm.'),
    (r'^(?:cls_)?classifier\.', 'head.fc.'),
    (r'^distillation_classifier\.', 'head.fc_dist.'),
]
# query, key and value are separate linears in transformers, one stacked
# (3C, C) linear in mmdeit, in that order.
_QKV = re.compile(_LAYER + r'attention\.(?:attention\.(query|key|value)|'
                  r'([qkv])_proj)\.(weight|bias)$')


_PATCH_EMBED = re.compile(
    _MODEL + r'embeddings\.patch_embeddings\.projection\.weight$')


def _is_hf(keys: List[str]) -> bool:
    return any(_PATCH_EMBED.match(k) for k in keys)


def hf_to_mmdeit(state: StateDict) -> StateDict:
    """Rename a transformers DeiT/ViT state dict into mmdeit's names,
    stacking each layer's query, key and value into one qkv tensor.

    Keys no rule knows keep their names (and are reported by the loader);
    so do the q/k/v pieces of a layer that lacks one of the three.
    """
    pieces: Dict[tuple, Dict[str, tuple]] = {}
    rest = {}
    for key, value in state.items():
        match = _QKV.match(key)
        if match is None:
            rest[key] = value
            continue
        layer, long_name, short_name, param = match.groups()
        which = (long_name or short_name)[0]  # 'q', 'k' or 'v'
        pieces.setdefault((int(layer), param), {})[which] = (key, value)
    converted = rename_keys(rest, HF_TO_MMDEIT_RULES)
    for (layer, param), parts in sorted(pieces.items()):
        if set(parts) == {'q', 'k', 'v'}:
            converted[f'backbone.layers.{layer}.attn.qkv.{param}'] = \
                torch.cat([parts[w][1] for w in 'qkv'], dim=0)
        else:
            converted.update(parts.values())
    return converted


register_format('hf', _is_hf, hf_to_mmdeit)


# Reading a folder --------------------------------------------------------

def hf_folder_of(path: str) -> Optional[str]:
    """The Hugging Face model folder ``path`` names: the folder itself, or
    the folder of a ``model.safetensors``/``pytorch_model.bin`` that has a
    ``config.json`` beside it; None for anything else."""
    if osp.isdir(path):
        return path
    folder = osp.dirname(osp.abspath(path))
    if osp.basename(path) in WEIGHT_FILES and \
            osp.isfile(osp.join(folder, CONFIG_FILE)):
        return folder
    return None


def read_hf_config(folder: str) -> Dict[str, Any]:
    """``config.json`` of a DeiT/ViT model folder, checked for settings
    mmdeit cannot represent."""
    path = osp.join(folder, CONFIG_FILE)
    if not osp.isfile(path):
        raise CheckpointError(
            f'{folder} is a folder without {CONFIG_FILE}; a Hugging Face '
            f'model folder holds {CONFIG_FILE} and the weights '
            f'({" or ".join(WEIGHT_FILES)})')
    with open(path) as f:
        config = json.load(f)
    model_type = config.get('model_type')
    if model_type not in MODEL_TYPES:
        raise CheckpointError(
            f'{path}: model_type "{model_type}" is not a DeiT layout (one of '
            f'{MODEL_TYPES})')
    # Our MLP is the exact (erf) GELU, which transformers calls 'gelu'.
    if config.get('hidden_act', 'gelu') != 'gelu':
        raise CheckpointError(
            f'{path}: hidden_act "{config["hidden_act"]}" is not supported; '
            'mmdeit\'s MLP uses the exact GELU ("gelu")')
    return config


def _read_weights(path: str, map_location: str, trusted: bool) -> StateDict:
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path, device=str(map_location))
    return torch.load(path, map_location=map_location,
                      weights_only=not trusted)


def weight_files(folder: str) -> List[str]:
    """The files holding a model folder's weights: one file, or the shards
    an index file lists (safetensors preferred over pickles)."""
    for name in WEIGHT_FILES:
        if osp.isfile(osp.join(folder, name)):
            return [osp.join(folder, name)]
    for name in INDEX_FILES:
        path = osp.join(folder, name)
        if osp.isfile(path):
            with open(path) as f:
                shards = sorted(set(json.load(f)['weight_map'].values()))
            return [osp.join(folder, shard) for shard in shards]
    raise CheckpointError(
        f'{folder} holds no weights: expected one of '
        f'{", ".join(WEIGHT_FILES + INDEX_FILES)}')


def read_hf_weights(folder: str, map_location: str = 'cpu',
                    trusted: bool = False) -> StateDict:
    state = {}
    for path in weight_files(folder):
        try:
            state.update(_read_weights(path, map_location, trusted))
        except (OSError, RuntimeError, ValueError,
                pickle.UnpicklingError) as error:
            raise CheckpointError(f'cannot read {path}: {error}') from error
    return state


def hf_classes(config: Dict[str, Any]) -> Optional[List[str]]:
    """Class names from ``id2label``, or None when they are transformers'
    placeholders (``LABEL_0``...)."""
    id2label = config.get('id2label') or {}
    names = [id2label[key] for key in sorted(id2label, key=int)]
    placeholders = [f'LABEL_{i}' for i in range(len(names))]
    return names if names and names != placeholders else None


def read_hf_folder(path: str, map_location: str = 'cpu',
                   trusted: bool = False) -> Dict[str, Any]:
    """Read a model folder (or its ``model.safetensors``) into
    ``{'state_dict': weights in transformers' names, 'meta': {...}}``.

    ``meta`` holds ``norm_eps`` (the config's ``layer_norm_eps``),
    ``dataset_meta`` (``{'classes': [...]}`` when the config names its
    classes) and ``hf_config`` (the whole config).
    """
    folder = hf_folder_of(path) or path
    config = read_hf_config(folder)
    state = read_hf_weights(folder, map_location, trusted)
    meta: Dict[str, Any] = dict(
        norm_eps=float(config.get('layer_norm_eps', 1e-12)), hf_config=config)
    classes = hf_classes(config)
    if classes is not None:
        meta['dataset_meta'] = dict(classes=classes)
    return dict(state_dict=state, meta=meta)
