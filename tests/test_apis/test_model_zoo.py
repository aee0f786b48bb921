
import pytest
import torch

import mmdeit
from mmdeit.apis import load_config, model_info
from mmdeit.models.zoo import merge_overrides
from mmdeit.checkpoint import CheckpointError
from tests.helpers.logs import mmengine_messages

TINY_OVERRIDES = dict(
    backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                            feedforward_channels=64), img_size=32,
                  patch_size=8),
    head=dict(in_channels=32))


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match='deit-tiny-distilled_pt-4xb256_in1k'):
        mmdeit.get_model('deit-tiny-distiled_pt-4xb256_in1k')


def test_missing_config_path_is_named():
    with pytest.raises(FileNotFoundError, match='nowhere/deit.py'):
        load_config('nowhere/deit.py')


def test_list_models_filters_by_pattern():
    assert mmdeit.list_models('deit-*384px') == [
        'deit-base-distilled_ft-16xb32_in1k-384px',
        'deit-base_ft-16xb32_in1k-384px'
    ]
    assert mmdeit.list_models('in21k') == [
        f'deit3-{size}_in21k-pre_{rest}' for size, rest in (
            ('base-p16', '64xb32_in1k-384px'), ('base-p16', '64xb64_in1k'),
            ('huge-p14', '64xb32_in1k'), ('large-p16', '64xb16_in1k-384px'),
            ('large-p16', '64xb64_in1k'), ('medium-p16', '64xb64_in1k'),
            ('small-p16', '64xb64_in1k'), ('small-p16', '64xb64_in1k-384px'))
    ]
    assert mmdeit.list_models('no-such-model') == []


def test_a_second_set_of_weights_for_a_config():
    """A metafile entry that is not a config's name: its own zoo model, on
    the config its Config names, with its own weights."""
    one = model_info('deit3-base-p16_64xb64_in1k')
    other = model_info('deit3-base-p16_in21k-pre_64xb64_in1k')
    assert other['config'] == one['config']
    assert (one['weights'], other['weights']) == (
        'https://dl.fbaipublicfiles.com/deit/deit_3_base_224_1k.pth',
        'https://dl.fbaipublicfiles.com/deit/deit_3_base_224_21k.pth')


def test_released_weights_are_the_official_files():
    info = model_info('deit-small-distilled_pt-4xb256_in1k')
    assert info['weights'] == ('https://dl.fbaipublicfiles.com/deit/'
                               'deit_small_distilled_patch16_224-649709d9.pth')


def test_overrides_and_eval_mode():
    model = mmdeit.get_model('deit-tiny-distilled_pt-4xb256_in1k',
                             **TINY_OVERRIDES)
    assert not model.training
    assert model.backbone.embed_dims == 32
    logits = model(torch.randn(3, 3, 32, 32))
    assert logits.shape == (3, 1000)
    cls_logits, dist_logits = model.head.forward_both(
        model.extract_feat(torch.randn(3, 3, 32, 32)))
    assert cls_logits.shape == dist_logits.shape == (3, 1000)


def test_pretrained_true_needs_a_zoo_name(tmp_path):
    cfg = load_config('deit-tiny_pt-4xb256_in1k')
    with pytest.raises(ValueError, match='zoo name'):
        mmdeit.get_model(cfg, pretrained=True)


def test_own_checkpoint_round_trip(tmp_path):
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', **TINY_OVERRIDES)
    path = tmp_path / 'epoch_1.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    again = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=str(path),
                             **TINY_OVERRIDES)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)


@pytest.fixture
def official_tiny(tmp_path):
    """A timm model of TINY_OVERRIDES' shape with random weights (1000
    classes), saved in the official layout; -> (timm model, path)."""
    timm = pytest.importorskip('timm')
    torch.manual_seed(0)
    reference = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=2,
        mlp_ratio=2).eval()
    with torch.no_grad():
        for param in reference.parameters():  # no zero tokens or heads
            param.add_(torch.randn_like(param) * 0.02)
    path = tmp_path / 'deit_tiny_like.pth'
    torch.save(dict(model=reference.state_dict()), path)
    return reference, str(path)


@pytest.fixture
def zoo_log():
    """Messages of mmengine's current logger at INFO and above."""
    with mmengine_messages() as records:
        yield records


def test_new_head_short_form(official_tiny, zoo_log):
    """get_model(..., pretrained=..., head=dict(num_classes=N)): the
    backbone computes what the source computes, the head is new and
    initialised by its init_cfg (truncated normal std 0.02, zero bias)."""
    reference, path = official_tiny
    overrides = merge_overrides(TINY_OVERRIDES, dict(head=dict(
        num_classes=7)))
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=path,
                             **overrides)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.backbone(x)[-1],
                                   reference.forward_features(x)[:, 0],
                                   rtol=0, atol=1e-5)
    assert model.head.fc.weight.shape == (7, 32)
    assert 0.01 < model.head.fc.weight.std().item() < 0.03
    assert torch.count_nonzero(model.head.fc.bias) == 0
    assert model(x).shape == (2, 7)
    assert any(f'backbone from {path}; new head of 7 classes, initialised'
               in message for message in zoo_log)


def test_head_of_another_class_count_needs_the_override(official_tiny):
    _, path = official_tiny
    overrides = merge_overrides(TINY_OVERRIDES, dict(head=dict(
        num_classes=7)))
    source = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=path,
                              **overrides)
    seven = path.replace('.pth', '_7.pth')
    torch.save(dict(state_dict=source.state_dict()), seven)
    with pytest.raises(CheckpointError) as error:
        mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=seven,
                         **TINY_OVERRIDES)
    message = str(error.value)
    assert 'has a head of 7 classes, the model one of 1000' in message
    assert "prefix='backbone'" in message
    assert 'head=dict(num_classes=N)' in message
    # a head of the same count as the file's is the file's
    again = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=seven,
                             **overrides)
    assert torch.equal(again.head.fc.weight, source.head.fc.weight)
