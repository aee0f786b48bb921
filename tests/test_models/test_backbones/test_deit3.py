"""The DeiT III backbone against the official model's definition
(models_v2.py) and timm's deit3 models."""
import pytest
import torch

from mmdeit.checkpoint import adapt_pos_embed
from mmdeit.checkpoint.layouts import to_mmdeit
from mmdeit.models.backbones import DeiT3
from mmdeit.models.backbones.deit3 import DEIT3_ARCH_SETTINGS
from tests.helpers.deit3_reference import timm_deit3

timm = pytest.importorskip('timm')
resample_abs_pos_embed = timm.layers.resample_abs_pos_embed

TINY = dict(embed_dims=32, num_layers=3, num_heads=2,
            feedforward_channels=64)


def test_sizes_and_aliases():
    """The official vit_models sizes; MMPretrain's one-letter names."""
    assert {name: (s['embed_dims'], s['num_layers'], s['num_heads'])
            for name, s in DEIT3_ARCH_SETTINGS.items()} == {
        'deit3-small': (384, 12, 6), 'deit3-medium': (512, 12, 8),
        'deit3-base': (768, 12, 12), 'deit3-large': (1024, 24, 16),
        'deit3-huge': (1280, 32, 16)}
    with torch.device('meta'):
        assert DeiT3(arch='m').embed_dims == 512
        assert DeiT3(arch='huge', patch_size=14).num_layers == 32
    with pytest.raises(KeyError, match='deit3-medium'):
        DeiT3(arch='deit-tiny')


def test_official_structure():
    """LayerScale starting at 1e-4 on both branches, the same stochastic
    depth in every layer (dpr_constant), a position for each patch only."""
    model = DeiT3(arch=TINY, img_size=64, patch_size=16, drop_path_rate=0.3)
    assert model.pos_embed.shape == (1, 16, 32)
    assert model.cls_token.shape == (1, 1, 32)
    for layer in model.layers:
        assert layer.drop_path.drop_prob == 0.3
        for scale in (layer.ls1, layer.ls2):
            assert torch.equal(scale.gamma, torch.full((32, ), 1e-4))
    model = DeiT3(arch=TINY, img_size=64, patch_size=16,
                  layer_scale_init_value=1e-6)
    assert model.layers[0].ls2.gamma[0].item() == pytest.approx(1e-6)


def loaded_pair(img_size=224, depth=2):
    reference = timm_deit3('deit3-small-p16_64xb64_in1k', depth=depth)
    model = DeiT3(arch=dict(embed_dims=384, num_layers=depth, num_heads=6,
                            feedforward_channels=1536),
                  img_size=img_size).eval()
    state, _ = to_mmdeit(reference.state_dict())
    backbone = {k[len('backbone.'):]: v for k, v in state.items()
                if k.startswith('backbone.')}
    model.load_state_dict(adapt_pos_embed(backbone, model))
    return reference, model


def test_features_equal_timm():
    reference, model = loaded_pair()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = reference.forward_features(x)
        torch.testing.assert_close(model.forward_features(x), expected,
                                   rtol=0, atol=1e-5)
        cls_token, = model(x)
    torch.testing.assert_close(cls_token, expected[:, 0], rtol=0, atol=1e-5)


def test_other_input_size_resizes_the_patch_embedding():
    """Another input size: the patch positions are resized on the fly, none
    kept aside for the class token; timm's model made for that size, its
    position embedding resized alike (bicubic without antialiasing, as the
    official fine-tuning does; timm's dynamic size antialiases), computes
    the same."""
    reference, model = loaded_pair()
    state = reference.state_dict()
    state['pos_embed'] = resample_abs_pos_embed(
        state['pos_embed'], (10, 18), (14, 14), num_prefix_tokens=0,
        antialias=False)
    resized = timm.create_model('deit3_small_patch16_224', depth=2,
                                img_size=(160, 288)).eval()
    resized.load_state_dict(state)
    x = torch.randn(1, 3, 160, 288)
    with torch.no_grad():
        torch.testing.assert_close(model.forward_features(x),
                                   resized.forward_features(x), rtol=0,
                                   atol=1e-5)


def test_loading_224_weights_at_384_resizes_as_the_official_finetune():
    """main.py --finetune: the (1, 14 * 14, C) grid interpolated bicubically
    (no corner alignment) to 24 x 24, nothing kept aside for the class
    token."""
    reference, model = loaded_pair(img_size=384)
    grid = reference.pos_embed.detach().reshape(1, 14, 14, 384)
    expected = torch.nn.functional.interpolate(
        grid.permute(0, 3, 1, 2), size=(24, 24), mode='bicubic',
        align_corners=False).permute(0, 2, 3, 1).flatten(1, 2)
    torch.testing.assert_close(model.pos_embed.detach(), expected)
