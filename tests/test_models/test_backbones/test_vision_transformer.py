import pytest
import torch
import torch.nn.functional as F

from mmdeit.models.backbones import (DistilledVisionTransformer,
                                     VisionTransformer)
from mmdeit.models.utils import resize_pos_embed

TINY = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def test_resize_pos_embed_matches_bicubic_on_the_grid_only():
    pos = torch.randn(1, 2 + 4 * 4, 8)
    out = resize_pos_embed(pos, (4, 4), (6, 6), num_extra_tokens=2)
    grid = pos[:, 2:].reshape(1, 4, 4, 8).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(6, 6), mode='bicubic',
                             align_corners=False)
    assert out.shape == (1, 2 + 36, 8)
    torch.testing.assert_close(out[:, :2], pos[:, :2], rtol=0, atol=0)
    torch.testing.assert_close(
        out[:, 2:], expected.flatten(2).transpose(1, 2), rtol=0, atol=1e-6)


def test_resize_pos_embed_rejects_wrong_token_count():
    with pytest.raises(ValueError, match='17 tokens'):
        resize_pos_embed(torch.randn(1, 17, 8), (4, 4), (6, 6), 2)


@pytest.mark.parametrize('size', [(32, 32), (48, 32), (16, 64)])
def test_any_multiple_of_the_patch_size_runs(size):
    model = DistilledVisionTransformer(arch=TINY, img_size=32, patch_size=8,
                                       out_type='featmap').eval()
    (featmap, ) = model(torch.randn(1, 3, *size))
    assert featmap.shape == (1, 32, size[0] // 8, size[1] // 8)


def test_input_not_multiple_of_patch_size_is_rejected():
    model = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    with pytest.raises(ValueError, match='30x32'):
        model(torch.randn(1, 3, 30, 32))


def test_img_size_must_be_multiple_of_patch_size():
    with pytest.raises(ValueError, match='img_size'):
        VisionTransformer(arch=TINY, img_size=30, patch_size=8)


def test_out_types_share_one_forward():
    torch.manual_seed(0)
    raw_model = DistilledVisionTransformer(arch=TINY, img_size=32,
                                           patch_size=8, out_type='raw').eval()
    x = torch.randn(2, 3, 32, 32)
    (raw, ) = raw_model(x)
    assert raw.shape == (2, 2 + 16, 32)
    for out_type in ('cls_token', 'featmap', 'avg_featmap', 'both'):
        raw_model.out_type = out_type
        (out, ) = raw_model(x)
        if out_type == 'cls_token':
            torch.testing.assert_close(out[0], raw[:, 0])
            torch.testing.assert_close(out[1], raw[:, 1])
        elif out_type == 'featmap':
            torch.testing.assert_close(
                out, raw[:, 2:].reshape(2, 4, 4, 32).permute(0, 3, 1, 2))
        elif out_type == 'avg_featmap':
            torch.testing.assert_close(out, raw[:, 2:].mean(1))
        else:
            (cls_token, dist_token), featmap = out
            torch.testing.assert_close(dist_token, raw[:, 1])
            assert featmap.shape == (2, 32, 4, 4)


def test_intermediate_outputs_are_not_normalised():
    model = VisionTransformer(arch=TINY, img_size=32, patch_size=8,
                              out_indices=(0, 1), out_type='raw').eval()
    x = torch.randn(1, 3, 32, 32)
    first, last = model(x)
    tokens, _ = model.embed(x)
    torch.testing.assert_close(first, model.layers[0](tokens))
    torch.testing.assert_close(last, model.forward_features(x))


def test_drop_path_only_in_training():
    model = VisionTransformer(arch=TINY, img_size=32, patch_size=8,
                              drop_path_rate=0.5)
    x = torch.randn(4, 3, 32, 32)
    model.eval()
    torch.testing.assert_close(model(x)[0], model(x)[0])
    model.train()
    torch.manual_seed(1)
    a = model(x)[0]
    torch.manual_seed(2)
    b = model(x)[0]
    assert not torch.allclose(a, b)


def test_unknown_arch_lists_choices():
    with pytest.raises(ValueError, match="arch='deit-huge': must be one of "
                       "'deit-base', 'deit-small'"):
        VisionTransformer(arch='deit-huge')


def layer_norm_eps(model):
    return {m.eps for m in model.modules() if isinstance(m, torch.nn.LayerNorm)}


def test_norm_eps_reaches_every_layer_norm():
    assert layer_norm_eps(VisionTransformer(TINY, 32, 16)) == {1e-6}
    model = DistilledVisionTransformer(TINY, 32, 16, norm_eps=1e-12)
    # ln1 and ln2 of each layer and the final norm
    assert layer_norm_eps(model) == {1e-12}
    assert sum(isinstance(m, torch.nn.LayerNorm)
               for m in model.modules()) == 2 * 2 + 1


def test_old_norm_cfg_still_builds_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match='norm_eps=1e-12'):
        model = VisionTransformer(TINY, 32, 16,
                                  norm_cfg=dict(type='LN', eps=1e-12))
    assert layer_norm_eps(model) == {1e-12}
    with pytest.raises(ValueError, match='norm_cfg type BN'):
        VisionTransformer(TINY, 32, 16, norm_cfg=dict(type='BN'))
