"""Conversion to an mmdeit checkpoint never drops or misses a key
silently."""
import pytest
import torch

from mmdeit.checkpoint import CheckpointError
from mmdeit.apis.conversion import check_complete, import_checkpoint
from tests.helpers.reference_models import (hf_config_for, hf_model_for,
                                            mmdeit_model)


def test_each_layout_converts_with_its_meta(tmp_path, timm_reference):
    name = 'deit-tiny-distilled_pt-4xb256_in1k'
    hf_model_for(name).save_pretrained(tmp_path / 'hf')
    converted = import_checkpoint(str(tmp_path / 'hf'), layout='hf')
    assert converted['meta']['source_layout'] == 'hf'
    assert converted['meta']['norm_eps'] == 1e-12
    official = import_checkpoint(timm_reference(name).official)
    assert official['meta']['source_layout'] == 'timm'
    assert 'norm_eps' not in official['meta']
    assert official['state_dict'].keys() == converted['state_dict'].keys() \
        == mmdeit_model(name).state_dict().keys()


def test_another_layout_than_asked_is_refused(timm_reference):
    with pytest.raises(CheckpointError, match='timm layout, not hf'):
        import_checkpoint(
            timm_reference('deit-tiny_pt-4xb256_in1k').official, layout='hf')


def test_missing_unused_and_misshapen_keys_are_listed():
    state = mmdeit_model('deit-tiny_pt-4xb256_in1k').state_dict()
    del state['backbone.layers.1.ffn.fc2.bias']
    state['backbone.layers.0.attn.gamma1'] = torch.ones(192)
    state['head.fc.bias'] = torch.zeros(999)
    with pytest.raises(CheckpointError) as error:
        check_complete(state)
    message = str(error.value)
    for key in ('backbone.layers.1.ffn.fc2.bias',
                'backbone.layers.0.attn.gamma1', 'head.fc.bias'):
        assert key in message


def test_dropping_on_purpose_is_recorded(tmp_path):
    import transformers
    transformers.DeiTModel(hf_config_for(
        'deit-tiny-distilled_pt-4xb256_in1k')).save_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match='pooler.dense.weight'):
        import_checkpoint(str(tmp_path))
    converted = import_checkpoint(str(tmp_path), drop=[r'^pooler\.'])
    assert converted['meta']['dropped_keys'] == ['pooler.dense.bias',
                                                 'pooler.dense.weight']
    assert not any(k.startswith('head.') for k in converted['state_dict'])


def test_messages_name_the_model_the_weights_describe(monkeypatch):
    """Not "tensors of Module": the backbone and head built from the
    shapes."""
    logged = []
    monkeypatch.setattr('mmdeit.checkpoint.loading.print_log',
                        lambda message, **kwargs: logged.append(message))
    state = mmdeit_model('deit-tiny-distilled_pt-4xb256_in1k').state_dict()
    check_complete(state, 'good.pth', 'mmdeit')
    described = 'the DistilledVisionTransformer and DeiTClsHead of its shapes'
    assert logged[-1].startswith(
        f'loaded {len(state)} of the {len(state)} tensors of {described} '
        'from good.pth')
    state['head.extra'] = torch.zeros(1)
    with pytest.raises(CheckpointError) as error:
        check_complete(state, 'bad.pth', 'mmdeit')
    assert f'does not fit {described}:' in str(error.value)
    assert 'Module' not in str(error.value)
