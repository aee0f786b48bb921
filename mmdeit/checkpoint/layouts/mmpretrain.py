"""MMPretrain (and mmcls) DeiT checkpoints: ``{'state_dict': ...}`` with
``backbone.``/``head.`` keys, as MMPretrain's ``VisionTransformer`` /
``DistilledVisionTransformer`` backbones and ``VisionTransformerClsHead`` /
``DeiTClsHead`` name them.

Most names are mmdeit's already (``cls_token``, ``dist_token``,
``pos_embed``, ``patch_embed.projection``, ``layers.i.ln1``,
``layers.i.attn.qkv``, ``layers.i.attn.proj``, ``layers.i.ln2``); the table
lists the others. ``backbone.ln1`` is the one name to read with care: in
both layouts each layer has an ``ln1`` (``backbone.layers.i.ln1``), but only
MMPretrain has one directly under ``backbone.``, its final norm. Its
``DeiT3`` backbone holds the LayerScale factors inside the attention and
MLP modules (``layers.i.attn.gamma1.weight``, ``layers.i.ffn.gamma2.weight``;
mmdeit's ``layers.i.ls1.gamma``, ``ls2.gamma``). Parameters DeiT does not
have (a ``head.layers.pre_logits`` hidden layer) keep their names and are
reported as not used.
"""
from .base import KeyTable, Layout, Signature

# (mmdeit, MMPretrain); the last two rows keep every other name.
MMPRETRAIN_TABLE = KeyTable([
    ('backbone.layers.{i}.ffn.fc1.', 'backbone.layers.{i}.ffn.layers.0.0.'),
    ('backbone.layers.{i}.ffn.fc2.', 'backbone.layers.{i}.ffn.layers.1.'),
    ('backbone.layers.{i}.ls1.gamma',
     'backbone.layers.{i}.attn.gamma1.weight'),
    ('backbone.layers.{i}.ls2.gamma',
     'backbone.layers.{i}.ffn.gamma2.weight'),
    ('backbone.norm.', 'backbone.ln1.'),
    ('head.fc.', 'head.layers.head.'),
    ('head.fc_dist.', 'head.layers.head_dist.'),
    ('backbone.', 'backbone.'),
    ('head.', 'head.'),
])
# Names only MMPretrain uses: the nested MLP and head, the final ln1, the
# LayerScale inside the attention module.
MMPRETRAIN_ONLY = (r'\.ffn\.layers\.', r'^head\.layers\.', r'^backbone\.ln1\.',
                   r'\.attn\.gamma1\.')

LAYOUT = Layout(
    'mmpretrain', Signature(all_of=(r'^backbone\.', ), any_of=MMPRETRAIN_ONLY),
    MMPRETRAIN_TABLE)
