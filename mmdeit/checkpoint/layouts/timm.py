"""The official DeiT and DeiT III releases and timm's
``VisionTransformer`` / ``VisionTransformerDistilled`` (``{'model':
state_dict}`` in the official ``.pth`` files, the bare state dict in timm's
``.safetensors``).

DeiT III's LayerScale factors are the one place where the two differ: the
official ``models_v2.py`` holds them as ``blocks.{i}.gamma_1`` /
``gamma_2``, timm's ``deit3_*`` as ``blocks.{i}.ls1.gamma`` /
``ls2.gamma`` (what timm's ``checkpoint_filter_fn`` renames). Both are
read; timm's are written, so that an export loads into timm as it is."""
from .base import KeyTable, Layout, Signature, StateDict
from ..errors import CheckpointError

# (mmdeit, timm)
TIMM_TABLE = KeyTable([
    ('backbone.cls_token', 'cls_token'),
    ('backbone.dist_token', 'dist_token'),
    ('backbone.pos_embed', 'pos_embed'),
    ('backbone.patch_embed.projection.', 'patch_embed.proj.'),
    ('backbone.layers.{i}.ln1.', 'blocks.{i}.norm1.'),
    ('backbone.layers.{i}.ln2.', 'blocks.{i}.norm2.'),
    ('backbone.layers.{i}.ls1.gamma', ['blocks.{i}.ls1.gamma',
                                       'blocks.{i}.gamma_1']),
    ('backbone.layers.{i}.ls2.gamma', ['blocks.{i}.ls2.gamma',
                                       'blocks.{i}.gamma_2']),
    ('backbone.layers.{i}.attn.', 'blocks.{i}.attn.'),
    ('backbone.layers.{i}.ffn.', 'blocks.{i}.mlp.'),
    ('backbone.norm.', 'norm.'),
    ('head.fc.', 'head.'),
    ('head.fc_dist.', 'head_dist.'),
])


class TimmLayout(Layout):

    def from_mmdeit(self, state: StateDict) -> StateDict:
        if 'backbone.dist_token' in state and 'head.fc.weight' in state \
                and 'head.fc_dist.weight' not in state:
            raise CheckpointError(
                'a distilled backbone with one head has no timm equivalent: '
                "timm's distilled DeiT has two heads (head, head_dist)")
        return super().from_mmdeit(state)


LAYOUT = TimmLayout(
    'timm', Signature(all_of=(r'^patch_embed\.proj\.weight$',
                              r'^blocks\.0\.attn\.qkv\.')),
    TIMM_TABLE)
