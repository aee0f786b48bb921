"""Hugging Face transformers model folders: reading one, and the config
files that describe an mmdeit model to transformers.

A folder holds ``config.json``, the weights (``model.safetensors``,
``pytorch_model.bin`` or their sharded forms) and, as mmdeit writes it,
``preprocessor_config.json``. Reading one gives ``{'state_dict': weights,
'meta': {...}}`` where the meta holds what the weights alone do not say: the
LayerNorm eps (``norm_eps``; transformers' default is 1e-12 where DeiT
trains with 1e-6), the class names (``dataset_meta``) and the whole
``hf_config``. The key names are :mod:`mmdeit.checkpoint.layouts.hf`'s.
"""
import json
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

from torch import nn

from .errors import CheckpointError
from .files import read_file
from .layouts import StateDict
from .layouts.hf import hf_architecture

CONFIG_FILE = 'config.json'
PREPROCESSOR_FILE = 'preprocessor_config.json'
WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin')
INDEX_FILES = ('model.safetensors.index.json', 'pytorch_model.bin.index.json')
# Architectures that hold DeiT weights, by the model_type of their config.
MODEL_TYPES = ('deit', 'vit')


# Reading -----------------------------------------------------------------

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
        state.update(read_file(path, map_location, trusted))
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


# Describing an mmdeit model ----------------------------------------------

def _square_or_pair(size: Sequence[int]):
    return size[0] if size[0] == size[1] else list(size)


def hf_config(model: nn.Module,
              classes: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """The ``config.json`` of a classifier: architecture, sizes, LayerNorm
    eps and class names (``LABEL_i`` when ``classes`` is None)."""
    backbone = model.backbone
    if not isinstance(backbone.norm, nn.LayerNorm):
        raise CheckpointError('transformers always applies a final norm; '
                              'export needs final_norm=True')
    architecture = hf_architecture(model.state_dict())
    layer = backbone.layers[0]
    num_classes = model.head.num_classes
    if classes is None:
        classes = [f'LABEL_{i}' for i in range(num_classes)]
    if len(classes) != num_classes:
        raise CheckpointError(f'{len(classes)} class names for a head with '
                              f'{num_classes} classes')
    label2id: Dict[str, int] = {}
    for index, name in enumerate(classes):
        # a repeated name (ImageNet has two 'crane') keeps its first index
        label2id.setdefault(name, index)
    return dict(
        architectures=[architecture.name],
        model_type=architecture.model_type,
        hidden_size=backbone.embed_dims,
        num_hidden_layers=backbone.num_layers,
        num_attention_heads=layer.attn.num_heads,
        intermediate_size=layer.ffn.fc1.out_features,
        hidden_act='gelu',
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        initializer_range=0.02,
        layer_norm_eps=backbone.norm.eps,
        image_size=_square_or_pair(backbone.img_size),
        patch_size=_square_or_pair(backbone.patch_size),
        num_channels=backbone.patch_embed.projection.in_channels,
        qkv_bias=layer.attn.qkv.bias is not None,
        encoder_stride=backbone.patch_size[0],
        id2label={str(i): name for i, name in enumerate(classes)},
        label2id=label2id,
        dtype='float32',
    )
