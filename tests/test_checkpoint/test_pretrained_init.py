"""MMPretrain's fine-tuning idiom, ``backbone.init_cfg=dict(type='Pretrained',
checkpoint=..., prefix='backbone')`` with a new ``head.num_classes``, from
each layout: the backbone computes what the source computes, the head is
new and initialised as its config says."""

import pytest
import torch
from mmengine.registry import WEIGHT_INITIALIZERS, DefaultScope

from mmdeit.apis import build_model_from_config, load_config
from mmdeit.checkpoint import CheckpointError, PretrainedInit
from tests.helpers.logs import mmengine_messages
from tests.helpers.reference_models import (VARIANTS, hf_model_for, images,
                                            mmdeit_model, mmpretrain_literal,
                                            shallow)

NAME = 'deit-tiny_pt-4xb256_in1k'
DISTILLED = 'deit-tiny-distilled_pt-4xb256_in1k'
NEW_CLASSES = 7


def fine_tune_model(name: str, checkpoint: str, img_size: int = 224):
    """The zoo config of ``name`` with the idiom: backbone from
    ``checkpoint``, a new head of NEW_CLASSES classes."""
    cfg = load_config(name)
    cfg.model.backbone.arch = shallow(name)['backbone']['arch']
    cfg.model.backbone.img_size = img_size
    cfg.model.backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint=checkpoint,
                                       prefix='backbone')
    cfg.model.head.num_classes = NEW_CLASSES
    cfg.data_preprocessor.num_classes = NEW_CLASSES
    for training_only in ('teacher', 'distillation'):
        cfg.model.pop(training_only, None)
    model = build_model_from_config(cfg)
    model.init_weights()
    return model.eval()


def assert_new_head(model):
    """The head has NEW_CLASSES outputs, initialised by its init_cfg
    (truncated normal, std 0.02, zero bias), not left at PyTorch's default
    (uniform, std 1 / sqrt(3 * 192) = 0.042) nor taken from anywhere."""
    for name, param in model.head.named_parameters():
        assert param.shape[0] == NEW_CLASSES, name
        if name.endswith('weight'):
            assert 0.015 < param.std().item() < 0.025, name
        else:
            assert torch.count_nonzero(param) == 0, name


@pytest.fixture
def mmengine_log():
    """Messages logged by mmengine's current logger at INFO and above."""
    with mmengine_messages() as records:
        yield records


def timm_features(model, x):
    """The class (and distillation) token after the final norm."""
    tokens = model.forward_features(x)
    return (tokens[:, 0], tokens[:, 1]) if hasattr(model, 'dist_token') \
        else tokens[:, 0]


@pytest.mark.parametrize('name', [NAME, DISTILLED])
@pytest.mark.parametrize('layout', ['official', 'mmpretrain'])
def test_idiom_loads_timm_and_mmpretrain_files(name, layout, tmp_path,
                                               timm_reference, mmengine_log):
    reference = timm_reference(name)
    path = reference.official
    if layout == 'mmpretrain':
        path = str(tmp_path / 'mmpretrain.pth')
        torch.save(dict(state_dict=mmpretrain_literal(
            reference.model.state_dict()), meta=dict()), path)
    model = fine_tune_model(name, path)
    with torch.no_grad():
        ours = model.backbone(reference.images)[-1]
        theirs = timm_features(reference.model, reference.images)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)
    assert_new_head(model)
    total = len(model.backbone.state_dict())
    layout_name = 'timm' if layout == 'official' else layout
    assert f'loaded {total} of the {total} tensors of ' \
        f'{type(model.backbone).__name__} from {path} ({layout_name} ' \
        'layout)' in mmengine_log


@pytest.mark.parametrize('name', [NAME, DISTILLED])
def test_idiom_loads_a_hugging_face_folder(name, tmp_path):
    hf = hf_model_for(name)
    hf.save_pretrained(tmp_path / 'hf')
    model = fine_tune_model(name, str(tmp_path / 'hf'))
    x = images(name)
    with torch.no_grad():
        ours = model.backbone(x)[-1]
        body = hf.deit if VARIANTS[name][4] else hf.vit
        tokens = body(x).last_hidden_state
    expected = (tokens[:, 0], tokens[:, 1]) if VARIANTS[name][4] \
        else tokens[:, 0]
    # the folder's LayerNorm eps (transformers' 1e-12) is adopted
    assert model.backbone.norm.eps == hf.config.layer_norm_eps
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-5)
    assert_new_head(model)


def test_idiom_loads_an_mmdeit_checkpoint(tmp_path):
    source = mmdeit_model(DISTILLED)
    torch.save(dict(state_dict=source.state_dict(), meta={}),
               tmp_path / 'epoch_300.pth')
    model = fine_tune_model(DISTILLED, str(tmp_path / 'epoch_300.pth'))
    for key, value in source.backbone.state_dict().items():
        torch.testing.assert_close(model.backbone.state_dict()[key], value,
                                   rtol=0, atol=0)
    assert_new_head(model)


def test_idiom_resizes_the_position_embedding(timm_reference):
    """224 px weights into a 384 px model: the grid resized as timm's
    resample_abs_pos_embed without anti-aliasing, the official DeiT
    fine-tuning code's plain bicubic interpolation."""
    from timm.layers import resample_abs_pos_embed
    reference = timm_reference(DISTILLED)
    model = fine_tune_model(DISTILLED, reference.official, img_size=384)
    expected = resample_abs_pos_embed(
        reference.model.pos_embed.detach(), new_size=[24, 24],
        num_prefix_tokens=2, interpolation='bicubic', antialias=False)
    torch.testing.assert_close(model.backbone.pos_embed.detach(), expected,
                               rtol=0, atol=0)


def test_a_file_for_another_model_is_refused(tmp_path):
    """A checkpoint of which nothing fits (another width) is an error
    naming the file and the keys, not a silent random start."""
    other = mmdeit_model('deit-small_pt-4xb256_in1k')
    path = tmp_path / 'small.pth'
    torch.save(dict(state_dict=other.state_dict()), path)
    with pytest.raises(CheckpointError, match='small.pth') as error:
        fine_tune_model(NAME, str(path))
    message = str(error.value)
    assert 'fills only' in message and 'cls_token' in message


def test_a_prefix_the_file_lacks_is_named(timm_reference):
    with pytest.raises(CheckpointError, match='no weights under prefix '
                       '"neck."'):
        PretrainedInit(timm_reference(NAME).official, prefix='neck')(
            torch.nn.Linear(2, 2))


def test_pretrained_resolves_to_mmdeit_in_its_scope():
    """mmengine looks init_cfg types up in the default scope's registry:
    under 'mmdeit' (the runner of every mmdeit config) 'Pretrained' is
    mmdeit's initializer, elsewhere still mmengine's own."""
    cfg = dict(type='Pretrained', checkpoint='w.pth')
    with DefaultScope.overwrite_default_scope('mmdeit'):
        with WEIGHT_INITIALIZERS.switch_scope_and_registry(None) as registry:
            assert type(registry.build(cfg)) is PretrainedInit
    with DefaultScope.overwrite_default_scope('mmengine'):
        with WEIGHT_INITIALIZERS.switch_scope_and_registry(None) as registry:
            assert type(registry.build(cfg)) is not PretrainedInit
