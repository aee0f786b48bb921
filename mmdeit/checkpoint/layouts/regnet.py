"""timm's RegNet layout, which the official DeiT teacher uses
(``regnety_160-a5fe301d.pth``, ``{'model': state_dict}``), against mmdeit's
RegNet classifier (``backbone.stem``, ``backbone.stages.i.j``, ``head.fc``).

timm numbers stages ``s1..s4`` and blocks ``b1..``; mmdeit counts both from
0. timm's ``downsample`` is the block's shortcut; the SE unit's ``fc1``/
``fc2`` and each ``conv``/``bn`` pair keep their names.
"""
from .base import KeyTable, Layout, Signature

# (mmdeit, timm)
REGNET_TABLE = KeyTable([
    ('backbone.stem.', 'stem.'),
    ('backbone.stages.{s}.{b}.shortcut.', 's{s+1}.b{b+1}.downsample.'),
    ('backbone.stages.{s}.{b}.', 's{s+1}.b{b+1}.'),
    ('head.fc.', 'head.fc.'),
])

LAYOUT = Layout(
    'timm-regnet', Signature(all_of=(r'^stem\.conv\.weight$',
                                     r'^s1\.b1\.conv1\.conv\.')),
    REGNET_TABLE)
