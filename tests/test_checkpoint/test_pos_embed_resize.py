"""224 px weights into a 384 px model, from every layout: the patch-grid
position embedding is resized bicubically (as the official fine-tuning code
does, F.interpolate without corner alignment), the class and distillation
tokens' embeddings are kept, everything else is copied."""
import pytest
import torch

from mmdeit.apis import build_model_from_config, load_config
from mmdeit.checkpoint import (to_mmdeit, load_pretrained,
                               read_checkpoint, unwrap_state_dict)
from tests.helpers.reference_models import (hf_model_for, mmdeit_model,
                                            mmpretrain_literal,
                                            save_mmpretrain, shallow)


def timm_resized(pos_embed, extra_tokens, new_side):
    """timm's resample_abs_pos_embed without anti-aliasing: the official
    DeiT fine-tuning code's plain bicubic interpolation (timm's own default,
    antialias=True, filters differently)."""
    from timm.layers import resample_abs_pos_embed
    return resample_abs_pos_embed(pos_embed, new_size=[new_side, new_side],
                                  num_prefix_tokens=extra_tokens,
                                  interpolation='bicubic', antialias=False)


def assert_resized_copy(model, source_state, extra_tokens):
    """``model`` (384 px) holds ``source_state`` (224 px, mmdeit names)."""
    own = model.state_dict()
    expected = timm_resized(source_state['backbone.pos_embed'],
                            extra_tokens, 24)
    assert own['backbone.pos_embed'].shape[1] == extra_tokens + 24 * 24
    torch.testing.assert_close(own['backbone.pos_embed'], expected,
                               rtol=0, atol=1e-6)
    for key, value in source_state.items():
        if key != 'backbone.pos_embed':
            torch.testing.assert_close(own[key], value, rtol=0, atol=0)


def write_source(layout, name, tmp_path, timm_reference):
    """A 224 px checkpoint of ``name`` in ``layout``; returns its path."""
    if layout == 'official':
        return timm_reference(name).official
    if layout == 'mmpretrain':
        state = mmpretrain_literal(timm_reference(name).model.state_dict())
        return save_mmpretrain(state, tmp_path / 'mmpretrain.pth')
    if layout == 'hf':
        hf_model_for(name).save_pretrained(tmp_path / 'hf')
        return str(tmp_path / 'hf')
    model = mmdeit_model(name)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'mmdeit.pth')
    return str(tmp_path / 'mmdeit.pth')


@pytest.mark.parametrize('layout', ['official', 'hf', 'mmpretrain', 'mmdeit'])
@pytest.mark.parametrize('name, extra_tokens', [
    ('deit-tiny_pt-4xb256_in1k', 1),
    ('deit-tiny-distilled_pt-4xb256_in1k', 2),
])
def test_224_weights_into_384_model(layout, name, extra_tokens, tmp_path,
                                    timm_reference):
    path = write_source(layout, name, tmp_path, timm_reference)
    source_state, found = to_mmdeit(
        unwrap_state_dict(read_checkpoint(path)))
    assert found == ('timm' if layout == 'official' else layout)

    model = mmdeit_model(name, backbone=dict(img_size=384))
    load_pretrained(model, path)
    assert_resized_copy(model, source_state, extra_tokens)


@pytest.mark.parametrize('name, start, official_file', [
    ('deit-base_ft-16xb32_in1k-384px', 'deit-base_pt-16xb64_in1k',
     'deit_base_patch16_224-b5f2ef4d.pth'),
    ('deit-base-distilled_ft-16xb32_in1k-384px',
     'deit-base-distilled_pt-16xb64_in1k',
     'deit_base_distilled_patch16_224-df68dfff.pth'),
])
def test_finetune_configs_start_from_the_224_weights(name, start,
                                                     official_file,
                                                     timm_reference):
    """The two 384 px configs initialise from the official 224 px file
    (here a local one in its layout) through the resize."""
    cfg = load_config(name)
    assert cfg.model.init_cfg.type == 'Pretrained'
    assert cfg.model.init_cfg.checkpoint.endswith(official_file)
    reference = timm_reference(start)
    cfg.model.init_cfg.checkpoint = reference.official
    cfg.model.backbone.arch = shallow(name)['backbone']['arch']
    for training_only in ('teacher', 'distillation'):
        cfg.model.pop(training_only, None)
    model = build_model_from_config(cfg)
    model.init_weights()

    source_state, _ = to_mmdeit(reference.model.state_dict())
    extra_tokens = 2 if 'distilled' in name else 1
    own = model.state_dict()
    torch.testing.assert_close(
        own['backbone.pos_embed'],
        timm_resized(source_state['backbone.pos_embed'], extra_tokens, 24),
        rtol=0, atol=1e-6)
    for key, value in source_state.items():
        if key != 'backbone.pos_embed':
            torch.testing.assert_close(own[key], value, rtol=0, atol=0)


def test_only_a_grid_that_differs_is_resized(tmp_path, monkeypatch):
    """Weights of another width (embedding size) on the same 14x14 grid: no
    "resized from a 14x14 grid to 14x14", the shape check names the key."""
    import mmdeit
    from mmdeit.checkpoint import CheckpointError
    arch = dict(num_layers=1, num_heads=2)
    narrow = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', backbone=dict(
        arch=dict(arch, embed_dims=32, feedforward_channels=64)),
        head=dict(in_channels=32))
    path = tmp_path / 'narrow.pth'
    torch.save(dict(state_dict=narrow.state_dict()), path)
    wide = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', backbone=dict(
        arch=dict(arch, embed_dims=64, feedforward_channels=64)),
        head=dict(in_channels=64))
    logged = []
    monkeypatch.setattr('mmdeit.checkpoint.loading.print_log',
                        lambda message, **kwargs: logged.append(message))
    with pytest.raises(CheckpointError,
                       match=r'backbone\.pos_embed: checkpoint '
                       r'\(1, 197, 32\)'):
        load_pretrained(wide, str(path))
    assert not [line for line in logged if 'resized' in line]
