"""Configs stored in data files: JSON round trip, Python read as literals
only, registered types only."""
import pytest
from mmengine.config import Config

from mmdeit.registry import MODELS, TRANSFORMS
from mmdeit.utils import register_all_modules
from mmdeit.utils.stored_config import (StoredConfigError,
                                        check_registered_types,
                                        config_from_json,
                                        config_from_python_literals,
                                        config_to_json)
from tests.helpers.repo import DEIT_TINY_CONFIG


def test_json_round_trip_of_a_shipped_config():
    cfg = Config.fromfile(DEIT_TINY_CONFIG).to_dict()
    assert config_from_json(config_to_json(cfg), 'x') == cfg


@pytest.mark.parametrize('cfg, key', [
    (dict(model=dict(loss=dict(type=Config))), 'model.loss.type'),
    (dict(custom=dict(keys={1: 'a'})), 'custom.keys.1'),
    (dict(hooks=[dict(fn=print)]), 'hooks.0.fn'),
])
def test_json_refuses_what_is_not_data(cfg, key):
    with pytest.raises(TypeError, match=key.replace('.', r'\.')):
        config_to_json(cfg)


def test_pretty_text_is_read_as_literals():
    cfg = Config(dict(a=-1, b=(1, -2.5), c=dict(d=[None, True, 'x']),
                      e={'.cls_token': dict(decay_mult=0.0)}))
    assert config_from_python_literals(cfg.pretty_text, 'f', '') == \
        cfg.to_dict()


@pytest.mark.parametrize('code', [
    "_x = __import__('os').system('true')",
    'import os',
    'a = os.sep',
    'a = dict(**other)',
    'a = {**other}',
    'a = [i for i in range(3)]',
    "a = f'{1}'",
    'a = 1 + 1',
    'a = b = 1',
    'a = (lambda: 1)()',
    'a = dict(b=print)',
    'a = list((1, 2))',
])
def test_anything_but_literals_is_refused(code):
    text = f"model = dict(type='ImageClassifier')\n{code}\n"
    with pytest.raises(StoredConfigError,
                       match='f: the stored config holds code.*line 2.*'
                       'do this instead'):
        config_from_python_literals(text, 'f', 'do this instead')


def test_registered_types_only():
    register_all_modules()
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='mmdeit.PackInputs')]
    check_registered_types(pipeline, 'pipeline', [MODELS, TRANSFORMS], 'f')
    for name in ('os.system', 'mmcv.Resize', 'Resize2', 'this'):
        with pytest.raises(StoredConfigError,
                           match=f"pipeline.1.type='{name}'"):
            check_registered_types([pipeline[0], dict(type=name)],
                                   'pipeline', [TRANSFORMS], 'f')
    # nested parts too, and a type that is not a string
    with pytest.raises(StoredConfigError, match=r'p.a.0.type=<'):
        check_registered_types(dict(a=[dict(type=print)]), 'p', [MODELS],
                               'f')
