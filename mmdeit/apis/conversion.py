"""Convert a checkpoint of any recognised layout into an mmdeit checkpoint
``{'state_dict': ..., 'meta': ...}``, checking that nothing is lost.

It lives above the models (not in :mod:`mmdeit.checkpoint`) because the
check builds the backbone and head the converted weights describe."""
import argparse
import math
import re
from typing import Any, Dict, Optional, Sequence

from torch import nn

from mmdeit.checkpoint import (CheckpointError, load_state_dict_checked,
                               read_checkpoint, save_weights, to_mmdeit,
                               unwrap_state_dict)
from mmdeit.checkpoint.layouts import StateDict
from mmdeit.models.backbones import (DeiT3, DistilledVisionTransformer,
                                     VisionTransformer)
from mmdeit.models.heads import DeiTClsHead, LinearClsHead

_LAYER = re.compile(r'^backbone\.layers\.(\d+)\.')


def model_for(state: StateDict) -> nn.Module:
    """An mmdeit backbone (and head) with the parameter names and shapes a
    converted state dict implies.

    Everything that shapes a parameter is read from the state: width, depth,
    MLP size, patch size, image size (a square grid), qkv bias, distillation
    token, LayerScale (DeiT III), heads. The number of attention heads
    shapes nothing and is left at 1; the final norm, which every DeiT has,
    is always expected.
    """
    required = ('backbone.cls_token', 'backbone.pos_embed',
                'backbone.patch_embed.projection.weight',
                'backbone.layers.0.ffn.fc1.weight')
    absent = [key for key in required if key not in state]
    if absent:
        raise CheckpointError(
            f'not a complete DeiT backbone: missing {", ".join(absent)}')
    if 'backbone.layers.0.ls1.gamma' in state:
        backbone_type = DeiT3
    elif 'backbone.dist_token' in state:
        backbone_type = DistilledVisionTransformer
    else:
        backbone_type = VisionTransformer
    embed_dims = state['backbone.cls_token'].shape[-1]
    _, in_channels, patch, _ = \
        state['backbone.patch_embed.projection.weight'].shape
    num_patches = state['backbone.pos_embed'].shape[1] - \
        backbone_type.num_pos_extra_tokens
    side = math.isqrt(max(num_patches, 0))
    if side * side != num_patches:
        raise CheckpointError(
            f'backbone.pos_embed has {num_patches} patch positions, not a '
            'square grid')
    layers = {int(m.group(1)) for m in map(_LAYER.match, state) if m}
    mlp_channels = state['backbone.layers.0.ffn.fc1.weight'].shape[0]
    arch = dict(embed_dims=embed_dims, num_layers=max(layers) + 1,
                num_heads=1, feedforward_channels=mlp_channels)
    parts = nn.Module()
    parts.backbone = backbone_type(
        arch=arch, img_size=side * patch, patch_size=patch,
        in_channels=in_channels,
        qkv_bias='backbone.layers.0.attn.qkv.bias' in state)
    if 'head.fc.weight' in state:
        head_type = DeiTClsHead if 'head.fc_dist.weight' in state \
            else LinearClsHead
        parts.head = head_type(state['head.fc.weight'].shape[0], embed_dims)
    return parts


def check_complete(state: StateDict, source: str = '',
                   layout: str = 'mmdeit') -> None:
    """Raise a :class:`CheckpointError` listing every key of ``state`` that
    an mmdeit model would not use, every parameter the model would miss and
    every shape that does not fit (see :func:`model_for`)."""
    model = model_for(state)
    parts = [type(part).__name__ for part in model.children()]
    load_state_dict_checked(model, state, True, source, layout,
                            name=f'the {" and ".join(parts)} of its shapes')


def import_checkpoint(source: str, layout: Optional[str] = None,
                       drop: Sequence[str] = ()) -> Dict[str, Any]:
    """Read ``source`` (any recognised layout) and return an mmdeit
    checkpoint ``{'state_dict': ..., 'meta': ...}``.

    Args:
        source: path or URL of a checkpoint, or a Hugging Face folder.
        layout: the layout ``source`` must have ('timm', 'hf',
            'mmpretrain', 'mmdeit'); None accepts any.
        drop: regular expressions of (converted) keys to leave out on
            purpose, e.g. ``'^pooler\\.'`` for the pooler of a Hugging Face
            ``DeiTModel``; they are listed in ``meta['dropped_keys']``.

    Raises:
        CheckpointError: unreadable, another layout than ``layout``, or
            keys that would be lost or are missing (all listed).

    ``meta`` records the source and its layout, and keeps what the weights
    do not say: the LayerNorm eps (``norm_eps``) and class names
    (``dataset_meta``) of a Hugging Face model, the ``dataset_meta`` of an
    mmdeit or MMPretrain checkpoint.
    """
    checkpoint = read_checkpoint(source)
    try:
        state, found = to_mmdeit(unwrap_state_dict(checkpoint))
    except CheckpointError as error:
        raise CheckpointError(f'{source}: {error}') from error
    if layout is not None and found != layout:
        raise CheckpointError(
            f'{source} is in the {found} layout, not {layout}')
    dropped = sorted(k for k in state
                     if any(re.search(pattern, k) for pattern in drop))
    state = {k: v for k, v in state.items() if k not in dropped}
    check_complete(state, str(source), found)
    source_meta = checkpoint.get('meta') or {}
    meta: Dict[str, Any] = dict(source=str(source), source_layout=found)
    if dropped:
        meta['dropped_keys'] = dropped
    for key in ('norm_eps', 'dataset_meta'):
        if source_meta.get(key) is not None:
            meta[key] = source_meta[key]
    state = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    return dict(state_dict=state, meta=meta)


def import_main(layout: str, doc: str, argv=None) -> str:
    """The command line the ``tools/model_converters/*_to_mmdeit.py``
    converters share: ``SRC DST.pth [--drop REGEX ...]``. Parses ``argv``,
    converts SRC (which must be in ``layout``) with
    :func:`import_checkpoint` and writes DST; returns DST."""
    parser = argparse.ArgumentParser(
        description=doc.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc)
    parser.add_argument('src', help='checkpoint path or URL')
    parser.add_argument('dst', help='output .pth file')
    parser.add_argument(
        '--drop', action='append', default=[], metavar='REGEX',
        help='leave out the keys (in mmdeit names where they have one) that '
        'match, on purpose; repeatable')
    args = parser.parse_args(argv)
    if not args.dst.endswith(('.pth', '.pt')):
        parser.error('DST must be a .pth file (it holds the meta too)')
    checkpoint = import_checkpoint(args.src, layout, args.drop)
    save_weights(checkpoint, args.dst)
    print(f'{args.src} ({layout}) -> {args.dst}: '
          f'{len(checkpoint["state_dict"])} tensors')
    for key in checkpoint['meta'].get('dropped_keys', []):
        print(f'  dropped {key}')
    return args.dst
