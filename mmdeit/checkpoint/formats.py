"""Recognise a state dict's layout from its keys and convert it to mmdeit's
names (``backbone.*``, ``head.*``)."""
import re
from typing import Callable, Dict, List, NamedTuple, Tuple

import torch

StateDict = Dict[str, torch.Tensor]


class CheckpointFormat(NamedTuple):
    """A known layout: ``matches(keys)`` tells it apart, ``to_mmdeit``
    renames its keys (and reshapes tensors where needed)."""
    name: str
    matches: Callable[[List[str]], bool]
    to_mmdeit: Callable[[StateDict], StateDict]


FORMATS: List[CheckpointFormat] = []


def register_format(name: str, matches: Callable[[List[str]], bool],
                    to_mmdeit: Callable[[StateDict], StateDict]) -> None:
    """Add a layout; earlier registrations are tried first."""
    FORMATS.append(CheckpointFormat(name, matches, to_mmdeit))


def strip_prefix(state: StateDict, prefix: str) -> StateDict:
    return {k[len(prefix):] if k.startswith(prefix) else k: v
            for k, v in state.items()}


def detect_format(state: StateDict) -> CheckpointFormat:
    keys = list(state)
    for fmt in FORMATS:
        if fmt.matches(keys):
            return fmt
    raise KeyError('unrecognised checkpoint layout; first keys: '
                   f'{keys[:8]}')


def convert_to_mmdeit(state: StateDict) -> Tuple[StateDict, str]:
    """-> (state dict in mmdeit's names, name of the detected layout)."""
    # DataParallel / DDP wrappers prefix every key with 'module.'.
    if state and all(k.startswith('module.') for k in state):
        state = strip_prefix(state, 'module.')
    fmt = detect_format(state)
    return fmt.to_mmdeit(state), fmt.name


# mmdeit's own layout -----------------------------------------------------

def _is_mmdeit(keys: List[str]) -> bool:
    # MMPretrain shares the 'backbone.' prefix but nests its MLP and heads,
    # and calls its final norm 'backbone.ln1' (ours: 'backbone.norm'; both
    # have a 'backbone.layers.i.ln1').
    return any(k.startswith('backbone.') for k in keys) and not \
        any('.ffn.layers.' in k or k.startswith(('head.layers.',
                                                 'backbone.ln1.'))
            for k in keys)


register_format('mmdeit', _is_mmdeit, dict)


# official DeiT / timm VisionTransformer(Distilled) -----------------------

TIMM_VIT_RULES = [
    (r'^(cls_token|dist_token|pos_embed)$', r'backbone.\1'),
    (r'^patch_embed\.proj\.', 'backbone.patch_embed.projection.'),
    (r'^blocks\.(\d+)\.norm1\.', r'backbone.layers.\1.ln1.'),
    (r'^blocks\.(\d+)\.norm2\.', r'backbone.layers.\1.ln2.'),
    (r'^blocks\.(\d+)\.attn\.', r'backbone.layers.\1.attn.'),
    (r'^blocks\.(\d+)\.mlp\.', r'backbone.layers.\1.ffn.'),
    (r'^norm\.', 'backbone.norm.'),
    (r'^head\.', 'head.fc.'),
    (r'^head_dist\.', 'head.fc_dist.'),
]


def rename_keys(state: StateDict, rules) -> StateDict:
    """Apply the first matching ``(pattern, replacement)`` rule to each key;
    keys that no rule matches are kept (and later reported as unexpected)."""
    renamed = {}
    for key, value in state.items():
        for pattern, replacement in rules:
            new_key, count = re.subn(pattern, replacement, key)
            if count:
                key = new_key
                break
        renamed[key] = value
    return renamed


def _is_timm_vit(keys: List[str]) -> bool:
    return 'patch_embed.proj.weight' in keys and \
        any(k.startswith('blocks.0.attn.qkv') for k in keys)


def timm_vit_to_mmdeit(state: StateDict) -> StateDict:
    return rename_keys(state, TIMM_VIT_RULES)


register_format('timm', _is_timm_vit, timm_vit_to_mmdeit)
