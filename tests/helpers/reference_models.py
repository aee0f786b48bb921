"""Reference models with random weights for the checkpoint tests.

The eight zoo variants are checked at their real width, number of heads and
image size but with ``DEPTH`` layers where logits are compared (the layout
does not depend on depth, the run time does); names, shapes and parameter
counts are checked at full depth without running the models.
"""
import re
from typing import Optional

import pytest
import torch

import mmdeit

DEPTH = 2

# zoo name -> (timm name, embed dims, heads, image size, distilled)
VARIANTS = {
    'deit-tiny_pt-4xb256_in1k': ('deit_tiny_patch16_224', 192, 3, 224, False),
    'deit-tiny-distilled_pt-4xb256_in1k':
    ('deit_tiny_distilled_patch16_224', 192, 3, 224, True),
    'deit-small_pt-4xb256_in1k':
    ('deit_small_patch16_224', 384, 6, 224, False),
    'deit-small-distilled_pt-4xb256_in1k':
    ('deit_small_distilled_patch16_224', 384, 6, 224, True),
    'deit-base_pt-16xb64_in1k': ('deit_base_patch16_224', 768, 12, 224, False),
    'deit-base-distilled_pt-16xb64_in1k':
    ('deit_base_distilled_patch16_224', 768, 12, 224, True),
    'deit-base_ft-16xb32_in1k-384px':
    ('deit_base_patch16_384', 768, 12, 384, False),
    'deit-base-distilled_ft-16xb32_in1k-384px':
    ('deit_base_distilled_patch16_384', 768, 12, 384, True),
}


def shallow(name: str, depth: int = DEPTH) -> dict:
    """get_model overrides: the variant ``name`` with ``depth`` layers."""
    _, dims, heads, _, _ = VARIANTS[name]
    return dict(backbone=dict(arch=dict(
        embed_dims=dims, num_layers=depth, num_heads=heads,
        feedforward_channels=4 * dims)))


def perturb_(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Add noise to every parameter: the reference libraries start tokens,
    position embeddings and classifiers at zero, which would hide a
    misplaced tensor."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.02)
    return module.eval()


def hf_config_for(name: str, depth: int = DEPTH, **kwargs):
    """transformers config of a variant: DeiT for the distilled ones, ViT
    for the others (as the Hub publishes them)."""
    from transformers import DeiTConfig, ViTConfig
    _, dims, heads, size, distilled = VARIANTS[name]
    config_type = DeiTConfig if distilled else ViTConfig
    return config_type(hidden_size=dims, num_hidden_layers=depth,
                       num_attention_heads=heads, intermediate_size=4 * dims,
                       image_size=size, patch_size=16, num_labels=1000,
                       **kwargs)


def hf_model_for(name: str, depth: int = DEPTH, seed: int = 0, **kwargs):
    from transformers import (DeiTForImageClassificationWithTeacher,
                              ViTForImageClassification)
    distilled = VARIANTS[name][4]
    model_type = DeiTForImageClassificationWithTeacher if distilled \
        else ViTForImageClassification
    torch.manual_seed(seed)
    return perturb_(model_type(hf_config_for(name, depth, **kwargs)), seed)


def timm_model_for(name: str, depth: int = DEPTH, seed: int = 0):
    timm = pytest.importorskip('timm')
    torch.manual_seed(seed)
    return perturb_(timm.create_model(VARIANTS[name][0], depth=depth), seed)


def images(name: str, batch: int = 1, seed: int = 1) -> torch.Tensor:
    size = VARIANTS[name][3]
    return torch.randn(batch, 3, size, size,
                       generator=torch.Generator().manual_seed(seed))


def mmdeit_model(name: str, pretrained=False, depth: int = DEPTH,
                 backbone: Optional[dict] = None, **overrides):
    """The zoo model ``name`` with ``depth`` layers (and more overrides)."""
    arch = shallow(name, depth)['backbone']
    return mmdeit.get_model(name, pretrained=pretrained,
                            backbone=dict(arch, **(backbone or {})),
                            **overrides)


def full_size_model(name: str) -> torch.nn.Module:
    """The zoo model ``name`` as its config builds it (no teacher), with
    PyTorch's default initialisation: for names and shapes."""
    cfg = mmdeit.apis.load_config(name)
    for key in ('teacher', 'distillation', 'init_cfg'):
        cfg.model.pop(key, None)
    return mmdeit.apis.build_model_from_config(cfg)


# MMPretrain is not installed (it pins mmcv < 2.2.0 and needs the compiled
# mmcv); its layout is built from timm's by the names MMPretrain's modules
# give: mmpretrain/models/backbones/vision_transformer.py (``ln1``/``ln2``
# per layer, ``attn.qkv``, ``attn.proj``, mmcv's ``FFN`` as
# ``ffn.layers.0.0``/``ffn.layers.1``, the final norm ``ln1``),
# backbones/deit.py (``dist_token``), heads/vision_transformer_head.py and
# heads/deit_head.py (``layers.head``, ``layers.head_dist``).
# timm / official name -> MMPretrain name:
TIMM_TO_MMPRETRAIN = [
    (r'^(cls_token|dist_token|pos_embed)$', r'backbone.\1'),
    (r'^patch_embed\.proj\.', 'backbone.patch_embed.projection.'),
    (r'^blocks\.(\d+)\.norm1\.', r'backbone.layers.\1.ln1.'),
    (r'^blocks\.(\d+)\.attn\.qkv\.', r'backbone.layers.\1.attn.qkv.'),
    (r'^blocks\.(\d+)\.attn\.proj\.', r'backbone.layers.\1.attn.proj.'),
    (r'^blocks\.(\d+)\.norm2\.', r'backbone.layers.\1.ln2.'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.', r'backbone.layers.\1.ffn.layers.0.0.'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.', r'backbone.layers.\1.ffn.layers.1.'),
    (r'^norm\.', 'backbone.ln1.'),
    (r'^head\.', 'head.layers.head.'),
    (r'^head_dist\.', 'head.layers.head_dist.'),
]


def to_mmpretrain(timm_state: dict) -> dict:
    renamed = {}
    for key, value in timm_state.items():
        matches = [re.sub(p, r, key) for p, r in TIMM_TO_MMPRETRAIN
                   if re.match(p, key)]
        assert len(matches) == 1, key
        renamed[matches[0]] = value
    return renamed


def save_mmpretrain(state: dict, path) -> str:
    """Save as MMPretrain does: weights under 'state_dict', with meta."""
    torch.save(dict(state_dict=state, meta=dict(
        dataset_meta=dict(classes=[str(i) for i in range(1000)]))), path)
    return str(path)


def mmpretrain_literal(timm_state: dict, depth: int = DEPTH) -> dict:
    """``timm_state`` under the names MMPretrain's VisionTransformer /
    DistilledVisionTransformer, VisionTransformerClsHead and DeiTClsHead
    give their parameters (mmpretrain/models/backbones/vision_transformer.py:
    ``layers.i.ln1``, ``attn.qkv``, mmcv's FFN ``ffn.layers.0.0`` /
    ``ffn.layers.1``, the final norm ``ln1``; heads/deit_head.py:
    ``layers.head``, ``layers.head_dist``), written out here rather than
    derived from any rename table."""
    t = timm_state
    state = {
        'backbone.cls_token': t['cls_token'],
        'backbone.pos_embed': t['pos_embed'],
        'backbone.patch_embed.projection.weight': t['patch_embed.proj.weight'],
        'backbone.patch_embed.projection.bias': t['patch_embed.proj.bias'],
        'backbone.ln1.weight': t['norm.weight'],
        'backbone.ln1.bias': t['norm.bias'],
        'head.layers.head.weight': t['head.weight'],
        'head.layers.head.bias': t['head.bias'],
    }
    if 'dist_token' in t:
        state['backbone.dist_token'] = t['dist_token']
        state['head.layers.head_dist.weight'] = t['head_dist.weight']
        state['head.layers.head_dist.bias'] = t['head_dist.bias']
    for i in range(depth):
        for p in ('weight', 'bias'):
            state[f'backbone.layers.{i}.ln1.{p}'] = t[f'blocks.{i}.norm1.{p}']
            state[f'backbone.layers.{i}.attn.qkv.{p}'] = \
                t[f'blocks.{i}.attn.qkv.{p}']
            state[f'backbone.layers.{i}.attn.proj.{p}'] = \
                t[f'blocks.{i}.attn.proj.{p}']
            state[f'backbone.layers.{i}.ln2.{p}'] = t[f'blocks.{i}.norm2.{p}']
            state[f'backbone.layers.{i}.ffn.layers.0.0.{p}'] = \
                t[f'blocks.{i}.mlp.fc1.{p}']
            state[f'backbone.layers.{i}.ffn.layers.1.{p}'] = \
                t[f'blocks.{i}.mlp.fc2.{p}']
    assert len(state) == len(t)
    return state
