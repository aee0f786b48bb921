"""Config mistakes fail at build, naming what is wrong: an unknown type
(with the closest registered ones), an image size that patches do not
tile, head and data preprocessor disagreeing on the number of classes.
tests/test_tools/test_config_mistakes.py tries many more."""
import re

import pytest

from mmdeit.apis import get_model
from mmdeit.utils.config_paths import locate
from mmdeit.utils.registry_hints import UnknownTypeError, unknown_type_error
from tests.helpers.repo import load_tool
from tests.helpers.tiny_runner import tiny_config

# --cfg-options naming an unknown type, and the error's message
UNKNOWN_TYPES = [
    ('model.backbone.type=VisionTransformr',
     "model.backbone.type='VisionTransformr': not a registered type of the "
     "mmdeit::model registry (did you mean 'VisionTransformer'"),
    ('train_dataloader.dataset.pipeline.1.type=RandomResizeCrop',
     "train_dataloader.dataset.pipeline.1.type='RandomResizeCrop': not a "
     "registered type of the mmdeit::transform registry (did you mean "
     "'RandomResizedCrop'"),
    ('default_hooks.checkpoint.type=AtomicCheckpointHok',
     "did you mean 'AtomicCheckpointHook'"),
    ('runner_type=ReliabelRunner',
     "runner_type='ReliabelRunner': not a registered type of the runner "
     "registry (did you mean 'ReliableRunner'"),
]
# --cfg-options making the model inconsistent, and the error's message
INCONSISTENT_MODELS = [
    ('model.backbone.img_size=20',
     'model.backbone.img_size=20: must be a multiple of patch_size (8, 8)'),
    ('model.head.num_classes=5',
     'model.head.num_classes=5: must equal data_preprocessor.num_classes '
     '(2)'),
]


def assert_train_fails(tmp_path, option: str, error: type,
                       message: str) -> None:
    """tools/train.py on the tiny config with ``option`` as --cfg-options
    (working in ``tmp_path / 'work'``) raises ``error`` saying
    ``message``."""
    config = tiny_config(tmp_path).filename
    with pytest.raises(error, match=re.escape(message)):
        load_tool('tools/train.py').main(
            [config, '--work-dir', str(tmp_path / 'work'), '--cfg-options',
             option])


@pytest.mark.parametrize('option, message', UNKNOWN_TYPES)
def test_unknown_type_names_closest(tmp_path, option, message):
    assert_train_fails(tmp_path, option, UnknownTypeError, message)


def test_get_model_names_closest(tmp_path):
    with pytest.raises(KeyError, match=re.escape(
            "model.head.type='LinearHead': not a registered type of the "
            "mmdeit::model registry (did you mean 'LinearClsHead'")):
        get_model('deit-tiny_pt-4xb256_in1k', head=dict(type='LinearHead'))


def test_other_key_errors_pass_unchanged():
    assert unknown_type_error(KeyError('learning_rate')) is None


def test_locate_prefers_the_consumers_dict_then_the_value():
    cfg = dict(train_pipeline=[dict(type='Resize', scale=0)],
               model=dict(backbone=dict(type='ViT', patch_size=0),
                          teacher=dict(backbone=dict(type='Other',
                                                     patch_size=0))),
               train_dataloader=dict(dataset=dict(pipeline=[
                   dict(type='Resize', scale=0)]), batch_size=4),
               val_dataloader=dict(batch_size=0))
    assert locate(cfg, 'patch_size', 0, 'Other') == \
        'model.teacher.backbone.patch_size'
    assert locate(cfg, 'patch_size', 0, 'ViT') == 'model.backbone.patch_size'
    # a default: where the config would state it
    assert locate(cfg, 'img_size', 16, 'ViT') == 'model.backbone.img_size'
    # the copy the runner reads, not the config's variable
    assert locate(cfg, 'scale', 0, 'Resize') == \
        'train_dataloader.dataset.pipeline.0.scale'
    assert locate(cfg, 'batch_size', 0) == 'val_dataloader.batch_size'
    assert locate(cfg, 'head.in_channels', 17, 'Missing') == \
        'head.in_channels'


@pytest.mark.parametrize('option, named', INCONSISTENT_MODELS)
def test_inconsistent_model_fails_at_build(tmp_path, option, named):
    assert_train_fails(tmp_path, option, ValueError, named)
    assert not list((tmp_path / 'work').glob('*.pth'))
