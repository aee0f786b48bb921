"""Config mistakes fail at build, naming what is wrong: an unknown type
(with the closest registered ones), an image size that patches do not
tile, head and data preprocessor disagreeing on the number of classes."""
import re

import pytest

from mmdeit.apis import get_model
from mmdeit.utils.registry_hints import UnknownTypeError, explain_unknown_type
from tests.helpers.repo import load_tool
from tests.helpers.tiny_runner import tiny_config


@pytest.mark.parametrize('option, message', [
    ('model.backbone.type=VisionTransformr',
     "'VisionTransformr' is not a registered type of the mmdeit::model "
     "registry. Did you mean 'VisionTransformer'"),
    ('train_dataloader.dataset.pipeline.1.type=RandomResizeCrop',
     "'RandomResizeCrop' is not a registered type of the mmdeit::transform "
     "registry. Did you mean 'RandomResizedCrop'"),
    ('default_hooks.checkpoint.type=AtomicCheckpointHok',
     "Did you mean 'AtomicCheckpointHook'"),
    ('runner_type=ReliabelRunner', "Did you mean 'ReliableRunner'"),
])
def test_unknown_type_names_closest(tmp_path, option, message):
    config = tiny_config(tmp_path).filename
    with pytest.raises(UnknownTypeError, match=re.escape(message)):
        load_tool('tools/train.py').main(
            [config, '--work-dir', str(tmp_path / 'work'), '--cfg-options',
             option])


def test_get_model_names_closest(tmp_path):
    with pytest.raises(KeyError, match="Did you mean 'LinearClsHead'"):
        get_model('deit-tiny_pt-4xb256_in1k', head=dict(type='LinearHead'))


def test_other_key_errors_pass_unchanged():
    assert explain_unknown_type(KeyError('learning_rate')) is None


@pytest.mark.parametrize('option, named', [
    ('model.backbone.img_size=20',
     'img_size (20, 20) is not a multiple of patch_size (8, 8)'),
    ('model.head.num_classes=5',
     'model.head.num_classes (5) disagrees with '
     'model.data_preprocessor.num_classes (2)'),
])
def test_inconsistent_model_fails_at_build(tmp_path, option, named):
    config = tiny_config(tmp_path).filename
    work = tmp_path / 'work'
    with pytest.raises(ValueError, match=re.escape(named)):
        load_tool('tools/train.py').main(
            [config, '--work-dir', str(work), '--cfg-options', option])
    assert not list(work.glob('*.pth'))
