"""timm's ``deit3_*`` models with random weights, and their state dicts in
the layouts DeiT III checkpoints come in: timm's, the official files' and
MMPretrain's (each written out here from the other project's rules, not
from mmdeit's key tables)."""
import re

import pytest
import torch


# zoo name -> (timm name, embed dims, heads, depth, patch, image size)
DEIT3_VARIANTS = {
    'deit3-small-p16_64xb64_in1k':
    ('deit3_small_patch16_224', 384, 6, 12, 16, 224),
    'deit3-small-p16_64xb64_in1k-384px':
    ('deit3_small_patch16_384', 384, 6, 12, 16, 384),
    'deit3-medium-p16_64xb64_in1k':
    ('deit3_medium_patch16_224', 512, 8, 12, 16, 224),
    'deit3-base-p16_64xb64_in1k':
    ('deit3_base_patch16_224', 768, 12, 12, 16, 224),
    'deit3-base-p16_64xb32_in1k-384px':
    ('deit3_base_patch16_384', 768, 12, 12, 16, 384),
    'deit3-large-p16_64xb64_in1k':
    ('deit3_large_patch16_224', 1024, 16, 24, 16, 224),
    'deit3-large-p16_64xb16_in1k-384px':
    ('deit3_large_patch16_384', 1024, 16, 24, 16, 384),
    'deit3-huge-p14_64xb32_in1k':
    ('deit3_huge_patch14_224', 1280, 16, 32, 14, 224),
}


def timm_deit3(name: str, depth: int = None, seed: int = 0):
    """timm's model of the zoo variant ``name`` (at ``depth`` layers when
    given) with random weights: normal(0, 0.02) everywhere but the
    LayerNorm weights (1 + that) and the LayerScale factors, uniform in
    [0.5, 1.5] (timm starts them at 1e-6, which would make every block
    nearly the identity and hide a misplaced one). timm's own
    initialisation is skipped: its truncated normal is slow at this size."""
    timm = pytest.importorskip('timm')
    kwargs = dict(weight_init='skip')
    if depth is not None:
        kwargs['depth'] = depth
    model = timm.create_model(DEIT3_VARIANTS[name][0], **kwargs)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, param in model.named_parameters():
            param.normal_(0, 0.02, generator=generator)
            if key.endswith('.gamma'):
                param.uniform_(0.5, 1.5, generator=generator)
            elif 'norm' in key and key.endswith('.weight'):
                param.add_(1)
    return model.eval()


def to_official(timm_state: dict) -> dict:
    """timm's names as the official DeiT III files have them: timm's
    ``checkpoint_filter_fn(adapt_layer_scale=True)`` renames
    ``blocks.N.gamma_K`` to ``blocks.N.lsK.gamma``; this undoes it."""
    return {re.sub(r'\.ls([12])\.gamma$', r'.gamma_\1', k): v
            for k, v in timm_state.items()}


def official_to_mmpretrain(official: dict) -> dict:
    """An official DeiT III state dict under MMPretrain's names, by the
    rules of its converter (tools/model_converters/deit3_to_mmpretrain.py)
    and the names of its DeiT3 backbone (LayerScale inside the attention
    and MLP modules as ``attn.gamma1.weight`` / ``ffn.gamma2.weight``, the
    final norm ``ln1``) and VisionTransformerClsHead (``layers.head``)."""
    converted = {}
    for key, value in official.items():
        if key.startswith('head.'):
            converted['head.layers.' + key] = value
            continue
        new = key
        if key.startswith('patch_embed.'):
            new = key.replace('proj.', 'projection.')
        elif key.startswith('blocks.'):
            new = key.replace('blocks.', 'layers.')
            for old, mm in (('norm1', 'ln1'), ('norm2', 'ln2'),
                            ('mlp.fc1', 'ffn.layers.0.0'),
                            ('mlp.fc2', 'ffn.layers.1'),
                            ('gamma_1', 'attn.gamma1.weight'),
                            ('gamma_2', 'ffn.gamma2.weight')):
                if old in key:
                    new = new.replace(old, mm)
                    break
        elif key.startswith('norm.'):
            new = key.replace('norm.', 'ln1.')
        converted['backbone.' + new] = value
    assert len(converted) == len(official)
    return converted


def images(name: str, batch: int = 1, seed: int = 1) -> torch.Tensor:
    size = DEIT3_VARIANTS[name][5]
    return torch.randn(batch, 3, size, size,
                       generator=torch.Generator().manual_seed(seed))


def shallow(name: str, depth: int) -> dict:
    """get_model overrides: the variant ``name`` with ``depth`` layers."""
    _, dims, heads, _, _, _ = DEIT3_VARIANTS[name]
    return dict(backbone=dict(arch=dict(
        embed_dims=dims, num_layers=depth, num_heads=heads,
        feedforward_channels=4 * dims)))
