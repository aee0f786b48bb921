"""Hugging Face transformers' key names:
``DeiTForImageClassificationWithTeacher``, ``DeiTForImageClassification``,
``DeiTModel`` and, for DeiT without distillation token (which the Hub
publishes as ViT), ``ViTForImageClassification`` / ``ViTModel``.

``M`` below is ``deit.`` or ``vit.`` (empty for a bare ``DeiTModel`` /
``ViTModel``), ``L`` is ``M encoder.layer.i``; mmdeit's ``B`` is
``backbone.``. Besides the renaming of :data:`HF_ROWS`, each layer's
``L.attention.attention.{query,key,value}`` (three (C, C) linears) is
mmdeit's ``B layers.i.attn.qkv`` (one (3C, C) linear, stacked in that
order).

transformers 5 names the modules differently in memory
(``M layers.i.attention.{q,k,v,o}_proj``, ``mlp.fc1``, ``mlp.fc2``) but
writes the names above; both are read. The pooler of ``DeiTModel`` /
``ViTModel`` (a tanh layer DeiT does not have) and a masked-image-modeling
``mask_token`` keep their names and are reported as not used.

Which transformers class a classifier is written as:

- distillation token and two heads (``DeiTClsHead``):
  ``DeiTForImageClassificationWithTeacher``;
- distillation token and one head: ``DeiTForImageClassification``;
- no distillation token: ``ViTForImageClassification`` (transformers' DeiT
  classes always have one, so the Hub's ``facebook/deit-*-patch16-*`` models
  without distillation are ViT models too).
"""
import re
from typing import Dict, Iterable, NamedTuple, Optional, Sequence

import torch

from .base import KeyTable, Layout, Signature, StateDict
from ..errors import CheckpointError

MODEL_PREFIXES = ('deit.', 'vit.', '')
LAYER_PREFIXES = ('encoder.layer.{i}.', 'layers.{i}.')  # transformers 4, 5
# (mmdeit, names under M, or under L for a layer's): the first is written
HF_ROWS = [
    ('backbone.cls_token', ['embeddings.cls_token']),
    ('backbone.dist_token', ['embeddings.distillation_token']),
    ('backbone.pos_embed', ['embeddings.position_embeddings']),
    ('backbone.patch_embed.projection.',
     ['embeddings.patch_embeddings.projection.']),
    ('backbone.layers.{i}.ln1.', ['layernorm_before.']),
    ('backbone.layers.{i}.ln2.', ['layernorm_after.']),
    ('backbone.layers.{i}.attn.proj.',
     ['attention.output.dense.', 'attention.o_proj.']),
    ('backbone.layers.{i}.ffn.fc1.', ['intermediate.dense.', 'mlp.fc1.']),
    ('backbone.layers.{i}.ffn.fc2.', ['output.dense.', 'mlp.fc2.']),
    ('backbone.norm.', ['layernorm.']),
]
QKV_PARTS = ('query', 'key', 'value')
_QKV_PIECE = re.compile(
    r'^(?:deit\.|vit\.)?(?:encoder\.layer|layers)\.(\d+)\.attention\.'
    r'(?:attention\.(query|key|value)|([qkv])_proj)\.(weight|bias)$')
_QKV = re.compile(r'^backbone\.layers\.(\d+)\.attn\.qkv\.(weight|bias)$')


def hf_table(model_prefixes: Sequence[str], fc_names: Sequence[str],
             fc_dist_name: Optional[str]) -> KeyTable:
    """The key table for the given model prefixes and classifier names (all
    are read, the first of each written); without ``fc_dist_name`` there is
    no distillation classifier."""
    rows = []
    for ours, names in HF_ROWS:
        layers = LAYER_PREFIXES if '{i}' in ours else ('', )
        rows.append((ours, [model + layer + name for model in model_prefixes
                            for layer in layers for name in names]))
    rows.append(('head.fc.', [f'{name}.' for name in fc_names]))
    if fc_dist_name is not None:
        rows.append(('head.fc_dist.', f'{fc_dist_name}.'))
    return KeyTable(rows)


class HFArchitecture(NamedTuple):
    """A transformers class and where its weights live."""
    name: str
    model_type: str
    prefix: str  # of the backbone's weights
    fc: str  # the classifier that mmdeit calls head.fc
    fc_dist: Optional[str]  # the one it calls head.fc_dist


# by (distillation token, two heads)
HF_ARCHITECTURES = {
    (True, True): HFArchitecture('DeiTForImageClassificationWithTeacher',
                                 'deit', 'deit.', 'cls_classifier',
                                 'distillation_classifier'),
    (True, False): HFArchitecture('DeiTForImageClassification', 'deit',
                                  'deit.', 'classifier', None),
    (False, False): HFArchitecture('ViTForImageClassification', 'vit', 'vit.',
                                   'classifier', None),
}


def hf_architecture(keys: Iterable[str]) -> HFArchitecture:
    """The transformers class of a classifier, from its (mmdeit) keys."""
    keys = set(keys)
    if 'backbone.layers.0.ls1.gamma' in keys:
        raise CheckpointError(
            'a DeiT III backbone (LayerScale, backbone.layers.i.ls1.gamma) '
            'has no transformers model; export it to timm instead')
    kind = ('backbone.dist_token' in keys, 'head.fc_dist.weight' in keys)
    if kind not in HF_ARCHITECTURES:
        raise CheckpointError(
            'a backbone without distillation token cannot feed a two-headed '
            'DeiTClsHead; transformers has no such model')
    return HF_ARCHITECTURES[kind]


class HFLayout(Layout):
    """Renaming by the table, and the q/k/v <-> qkv stacking."""

    def to_mmdeit(self, state: StateDict) -> StateDict:
        """Keys no row knows keep their names (the loader reports them); so
        do the q/k/v pieces of a layer that lacks one of the three."""
        pieces: Dict[tuple, Dict[str, tuple]] = {}
        rest = {}
        for key, value in state.items():
            match = _QKV_PIECE.match(key)
            if match is None:
                rest[key] = value
                continue
            layer, long_name, short_name, param = match.groups()
            which = (long_name or short_name)[0]  # 'q', 'k' or 'v'
            pieces.setdefault((int(layer), param), {})[which] = (key, value)
        converted = self.table.to_mmdeit(rest)
        for (layer, param), parts in sorted(pieces.items()):
            if set(parts) == {'q', 'k', 'v'}:
                converted[f'backbone.layers.{layer}.attn.qkv.{param}'] = \
                    torch.cat([parts[w][1] for w in 'qkv'], dim=0)
            else:
                converted.update(parts.values())
        return converted

    def from_mmdeit(self, state: StateDict) -> StateDict:
        """The names transformers writes for the class of
        :func:`hf_architecture`."""
        architecture = hf_architecture(state)
        table = hf_table((architecture.prefix, ), (architecture.fc, ),
                         architecture.fc_dist)
        hf_state, rest = {}, {}
        for key, value in state.items():
            match = _QKV.match(key)
            if match is None:
                rest[key] = value
                continue
            layer, param = match.groups()
            attention = f'{architecture.prefix}encoder.layer.{layer}.' \
                'attention.attention'
            for name, part in zip(QKV_PARTS, value.chunk(3)):
                hf_state[f'{attention}.{name}.{param}'] = part
        hf_state.update(table.from_mmdeit(rest, 'transformers'))
        return hf_state


LAYOUT = HFLayout(
    'hf', Signature(all_of=(
        r'^(?:deit\.|vit\.)?embeddings\.patch_embeddings\.projection\.weight$',
    )),
    hf_table(MODEL_PREFIXES, ('classifier', 'cls_classifier'),
             'distillation_classifier'))
