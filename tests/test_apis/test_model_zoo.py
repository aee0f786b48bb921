import pytest
import torch

import mmdeit
from mmdeit.apis import load_config, model_info

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
    assert mmdeit.list_models('384px') == [
        'deit-base-distilled_ft-16xb32_in1k-384px',
        'deit-base_ft-16xb32_in1k-384px'
    ]
    assert mmdeit.list_models('no-such-model') == []


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
