"""mmdeit's own layout (``backbone.*``, ``head.*``): nothing to rename.

MMPretrain shares the ``backbone.`` prefix; a file is mmdeit's when it has
none of the names only MMPretrain uses (see :mod:`.mmpretrain`)."""
from .base import KeyTable, Layout, Signature
from .mmpretrain import MMPRETRAIN_ONLY

LAYOUT = Layout(
    'mmdeit', Signature(all_of=(r'^backbone\.', ), none_of=MMPRETRAIN_ONLY),
    KeyTable([('', '')]))
