"""MMPretrain (and mmcls) DeiT checkpoints: ``{'state_dict': ...}`` with
``backbone.``/``head.`` keys, as MMPretrain's ``VisionTransformer`` /
``DistilledVisionTransformer`` backbones and ``VisionTransformerClsHead`` /
``DeiTClsHead`` name them.

Most names are mmdeit's already (``cls_token``, ``dist_token``,
``pos_embed``, ``patch_embed.projection``, ``layers.i.ln1``,
``layers.i.attn.qkv``, ``layers.i.attn.proj``, ``layers.i.ln2``). The
differences:

======================================  =========================
MMPretrain                              mmdeit
======================================  =========================
``backbone.layers.i.ffn.layers.0.0``    ``backbone.layers.i.ffn.fc1``
``backbone.layers.i.ffn.layers.1``      ``backbone.layers.i.ffn.fc2``
``backbone.ln1`` (the final norm)       ``backbone.norm``
``head.layers.head``                    ``head.fc``
``head.layers.head_dist``               ``head.fc_dist``
======================================  =========================

``backbone.ln1`` is the one name to read with care: in both layouts each
layer has an ``ln1`` (``backbone.layers.i.ln1``), but only MMPretrain has
one directly under ``backbone.``. Parameters DeiT does not have (a
``head.layers.pre_logits`` hidden layer, layer-scale ``gamma``) keep their
names and are reported as not used.
"""
from typing import List

from .formats import StateDict, register_format, rename_keys

MMPRETRAIN_TO_MMDEIT_RULES = [
    (r'^backbone\.layers\.(\d+)\.ffn\.layers\.0\.0\.',
     r'backbone.layers.\1.ffn.fc1.'),
    (r'^backbone\.layers\.(\d+)\.ffn\.layers\.1\.',
     r'backbone.layers.\1.ffn.fc2.'),
    (r'^backbone\.ln1\.', 'backbone.norm.'),
    (r'^head\.layers\.head\.', 'head.fc.'),
    (r'^head\.layers\.head_dist\.', 'head.fc_dist.'),
]


def _is_mmpretrain(keys: List[str]) -> bool:
    return any(k.startswith('backbone.') for k in keys) and any(
        '.ffn.layers.' in k or k.startswith(('head.layers.', 'backbone.ln1.'))
        for k in keys)


def mmpretrain_to_mmdeit(state: StateDict) -> StateDict:
    return rename_keys(state, MMPRETRAIN_TO_MMDEIT_RULES)


register_format('mmpretrain', _is_mmpretrain, mmpretrain_to_mmdeit)
