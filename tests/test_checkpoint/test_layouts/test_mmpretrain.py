"""MMPretrain checkpoints in: with MMPretrain's key names spelled out
(reference_models.mmpretrain_literal), and for every variant built from
timm's by the table in reference_models."""
import pytest
import torch

from mmdeit.checkpoint import CheckpointError, detect_layout, load_pretrained
from tests.helpers.reference_models import (VARIANTS, mmdeit_model,
                                            mmpretrain_literal,
                                            save_mmpretrain, to_mmpretrain)


def assert_mmpretrain_file_gives_timm_logits(name, reference, rename,
                                             tmp_path):
    """timm's weights renamed by ``rename`` are detected as MMPretrain's and,
    saved as MMPretrain saves them, give timm's logits."""
    state = rename(reference.model.state_dict())
    assert detect_layout(state).name == 'mmpretrain'
    path = save_mmpretrain(state, tmp_path / 'mmpretrain.pth')
    model = mmdeit_model(name, pretrained=path)
    with torch.no_grad():
        torch.testing.assert_close(model(reference.images), reference.logits,
                                   rtol=0, atol=1e-4)


@pytest.mark.parametrize('name', ['deit-tiny_pt-4xb256_in1k',
                                  'deit-tiny-distilled_pt-4xb256_in1k'])
def test_mmpretrain_own_key_names_give_timm_logits(name, tmp_path,
                                                   timm_reference):
    assert_mmpretrain_file_gives_timm_logits(
        name, timm_reference(name), mmpretrain_literal, tmp_path)


@pytest.mark.parametrize('name', list(VARIANTS))
def test_mmpretrain_layout_gives_timm_logits(name, tmp_path, timm_reference):
    assert_mmpretrain_file_gives_timm_logits(
        name, timm_reference(name), to_mmpretrain, tmp_path)


def test_final_norm_is_told_apart_from_layer_norms(timm_reference):
    """Both layouts have backbone.layers.i.ln1; only MMPretrain has
    backbone.ln1, its final norm, which must become backbone.norm."""
    state = to_mmpretrain(
        timm_reference('deit-tiny_pt-4xb256_in1k').model.state_dict())
    backbone_only = {k: v for k, v in state.items()
                     if k.startswith('backbone.')}
    assert detect_layout(backbone_only).name == 'mmpretrain'
    ours = mmdeit_model('deit-tiny_pt-4xb256_in1k').state_dict()
    assert detect_layout(ours).name == 'mmdeit'
    # even without the MLP keys, backbone.ln1 alone says MMPretrain
    norms_only = {k: v for k, v in backbone_only.items() if 'ffn' not in k}
    assert detect_layout(norms_only).name == 'mmpretrain'
    converted = detect_layout(norms_only).to_mmdeit(norms_only)
    torch.testing.assert_close(converted['backbone.norm.weight'],
                               state['backbone.ln1.weight'])
    torch.testing.assert_close(converted['backbone.layers.1.ln1.weight'],
                               state['backbone.layers.1.ln1.weight'])


def test_parts_deit_does_not_have_are_listed(tmp_path, timm_reference):
    name = 'deit-tiny_pt-4xb256_in1k'
    state = to_mmpretrain(timm_reference(name).model.state_dict())
    state['head.layers.pre_logits.weight'] = torch.zeros(192, 192)
    state['backbone.layers.0.attn.gamma1.weight'] = torch.ones(192)
    path = save_mmpretrain(state, tmp_path / 'extra.pth')
    model = mmdeit_model(name)
    with pytest.raises(CheckpointError) as error:
        load_pretrained(model, path)
    assert 'head.layers.pre_logits.weight' in str(error.value)
    # a DeiT III LayerScale factor, under mmdeit's name for it
    assert 'backbone.layers.0.ls1.gamma' in str(error.value)
    report = load_pretrained(model, path, strict=False)
    assert report.layout == 'mmpretrain'
    assert report.missing == []
    assert sorted(report.unexpected) == [
        'backbone.layers.0.ls1.gamma', 'head.layers.pre_logits.weight']
