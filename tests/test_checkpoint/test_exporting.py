"""The official/timm layout out: timm models with random weights are the
reference, in and back out."""
import pytest
import torch

from mmdeit.checkpoint import CheckpointError
from mmdeit.checkpoint import from_mmdeit, save_timm
from tests.helpers.reference_models import (DEPTH, VARIANTS, full_size_model,
                                            mmdeit_model)

timm = pytest.importorskip('timm')


@pytest.mark.parametrize('name', list(VARIANTS))
def test_timm_round_trip(name, tmp_path, timm_reference):
    reference = timm_reference(name)
    model = mmdeit_model(name, pretrained=reference.official)
    # .pth as the official releases, .safetensors as timm publishes
    out = str(tmp_path / ('deit.safetensors' if VARIANTS[name][4]
                          else 'deit.pth'))
    save_timm(model.state_dict(), out)
    loaded = timm.create_model(VARIANTS[name][0], depth=DEPTH, pretrained=True,
                               pretrained_cfg_overlay=dict(file=out)).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(reference.images), reference.logits,
                                   rtol=0, atol=1e-4)
        torch.testing.assert_close(loaded(reference.images), reference.logits,
                                   rtol=0, atol=1e-4)


@pytest.mark.parametrize('name', list(VARIANTS))
def test_full_size_names_and_shapes(name):
    with torch.device('meta'):
        reference = timm.create_model(VARIANTS[name][0])
    exported = from_mmdeit(full_size_model(name).state_dict(), 'timm')
    assert {k: v.shape for k, v in exported.items()} == \
        {k: v.shape for k, v in reference.state_dict().items()}


def test_official_file_holds_model_and_safetensors_is_flat(tmp_path):
    from safetensors.torch import load_file
    state = mmdeit_model('deit-tiny_pt-4xb256_in1k', depth=1).state_dict()
    save_timm(state, str(tmp_path / 'a.pth'))
    save_timm(state, str(tmp_path / 'a.safetensors'))
    official = torch.load(tmp_path / 'a.pth', weights_only=True)
    assert list(official) == ['model']
    flat = load_file(tmp_path / 'a.safetensors')
    assert official['model'].keys() == flat.keys()
    assert 'blocks.0.mlp.fc1.weight' in flat and 'head.weight' in flat
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ['a.pth', 'a.safetensors']  # no temporary file left


def test_keys_without_timm_name_are_refused():
    state = mmdeit_model('deit-tiny_pt-4xb256_in1k', depth=1).state_dict()
    state['backbone.extra.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointError, match='backbone.extra.weight'):
        from_mmdeit(state, 'timm')


def test_one_headed_distilled_model_has_no_timm_form():
    model = mmdeit_model('deit-tiny_pt-4xb256_in1k', depth=1,
                         backbone=dict(type='DistilledVisionTransformer'))
    with pytest.raises(CheckpointError, match='two heads'):
        from_mmdeit(model.state_dict(), 'timm')
