"""KeyTable and Signature: the two-way renaming and the identifying keys
that every layout is built from."""
import pytest

from mmdeit.checkpoint import CheckpointError
from mmdeit.checkpoint.layouts import KeyTable, Signature

TABLE = KeyTable([
    ('backbone.cls_token', 'cls_token'),
    ('backbone.stages.{s}.{b}.shortcut.', 's{s+1}.b{b+1}.downsample.'),
    ('backbone.stages.{s}.{b}.', 's{s+1}.b{b+1}.'),
    ('head.fc.', ['head.', 'classifier.']),
])


def test_both_directions_from_one_row():
    theirs = {'cls_token': 1, 's1.b1.conv.weight': 2,
              's4.b12.downsample.bn.bias': 3, 'head.weight': 4}
    ours = {'backbone.cls_token': 1, 'backbone.stages.0.0.conv.weight': 2,
            'backbone.stages.3.11.shortcut.bn.bias': 3, 'head.fc.weight': 4}
    assert TABLE.to_mmdeit(theirs) == ours
    assert TABLE.from_mmdeit(ours, 'test') == theirs


def test_every_spelling_is_read_and_the_first_written():
    assert TABLE.to_mmdeit({'classifier.bias': 0}) == {'head.fc.bias': 0}
    assert TABLE.from_mmdeit({'head.fc.bias': 0}, 'test') == {'head.bias': 0}


def test_a_whole_key_is_not_a_prefix():
    # 'cls_token' names one key; 'cls_token_extra' is another, kept as is
    assert TABLE.to_mmdeit({'cls_token_extra': 0}) == {'cls_token_extra': 0}
    assert TABLE.to_mmdeit({'s1.b1x.conv': 0}) == {'s1.b1x.conv': 0}


def test_unknown_keys_kept_on_import_and_refused_on_export():
    assert TABLE.to_mmdeit({'pooler.weight': 0}) == {'pooler.weight': 0}
    with pytest.raises(CheckpointError,
                       match='no test name for 2 key.*backbone.extra, neck.w'):
        TABLE.from_mmdeit({'neck.w': 0, 'backbone.extra': 1,
                           'head.fc.weight': 2}, 'test')


def test_signature_names_its_evidence():
    signature = Signature(all_of=(r'^backbone\.', ),
                          any_of=(r'^head\.layers\.', r'\.ln1\.'),
                          none_of=(r'^neck\.', ))
    keys = ['backbone.a', 'backbone.layers.0.ln1.w', 'head.layers.head.w']
    assert signature.evidence(keys) == ['backbone.a', 'head.layers.head.w']
    assert signature.evidence(['backbone.a']) is None  # none of any_of
    assert signature.evidence(keys + ['neck.x']) is None  # one of none_of
    assert signature.evidence(['head.layers.head.w']) is None  # no all_of
