"""timm's RegNet layout, which the official DeiT teacher uses
(``regnety_160-a5fe301d.pth``, ``{'model': state_dict}``), into mmdeit's
RegNet classifier (``backbone.stem``, ``backbone.stages.i.j``, ``head.fc``).

timm numbers stages ``s1..s4`` and blocks ``b1..``; mmdeit counts both from
0. timm's ``downsample`` is the block's shortcut; the SE unit's ``fc1``/
``fc2`` and each ``conv``/``bn`` pair keep their names.
"""
import re
from typing import List

from .formats import StateDict, register_format, rename_keys

TIMM_REGNET_RULES = [
    (r'^stem\.', 'backbone.stem.'),
    (r'^s(\d)\.b(\d+)\.',
     lambda m: f'backbone.stages.{int(m[1]) - 1}.{int(m[2]) - 1}.'),
    (r'^head\.fc\.', 'head.fc.'),
]


def _is_timm_regnet(keys: List[str]) -> bool:
    return 'stem.conv.weight' in keys and \
        any(re.match(r'^s1\.b1\.conv1\.conv\.', k) for k in keys)


def timm_regnet_to_mmdeit(state: StateDict) -> StateDict:
    renamed = rename_keys(state, TIMM_REGNET_RULES)
    return {key.replace('.downsample.', '.shortcut.'): value
            for key, value in renamed.items()}


register_format('timm-regnet', _is_timm_regnet, timm_regnet_to_mmdeit)
