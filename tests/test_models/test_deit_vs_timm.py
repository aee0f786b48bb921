"""Every shipped DeiT config, loaded with timm's weights in the official
layout, gives timm's logits and has timm's parameter count."""
import pytest
import torch

import mmdeit
from tests.helpers.reference_models import VARIANTS

timm = pytest.importorskip('timm')

# zoo name -> (timm name, image size)
CONFIG_TO_TIMM = {name: (timm_name, size)
                  for name, (timm_name, _, _, size, _) in VARIANTS.items()}


def test_zoo_lists_the_eight_configs():
    assert set(CONFIG_TO_TIMM) <= set(mmdeit.list_models())
    assert mmdeit.list_models('*distilled*in1k*') == sorted(
        name for name in CONFIG_TO_TIMM if 'distilled' in name)


@pytest.mark.parametrize('name', list(CONFIG_TO_TIMM))
def test_official_layout_gives_timm_logits(name, tmp_path):
    timm_name, size = CONFIG_TO_TIMM[name]
    torch.manual_seed(0)
    reference = timm.create_model(timm_name, pretrained=False).eval()
    # timm starts the classifier at zero; random heads make the check real.
    for head in (reference.head, getattr(reference, 'head_dist', None)):
        if head is not None:
            torch.nn.init.normal_(head.weight, std=0.02)
            torch.nn.init.normal_(head.bias, std=0.02)
    path = tmp_path / f'{timm_name}.pth'
    torch.save({'model': reference.state_dict()}, path)

    model = mmdeit.get_model(name, pretrained=str(path))
    assert not model.training
    assert sum(p.numel() for p in model.parameters()) == \
        sum(p.numel() for p in reference.parameters())

    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        expected = reference(x)
        logits = model(x)
    assert logits.shape == (2, 1000)
    torch.testing.assert_close(logits, expected, rtol=0, atol=1e-4)


def test_distilled_weights_into_a_plain_model_name_the_keys(tmp_path):
    from mmdeit.checkpoint import CheckpointError
    reference = timm.create_model('deit_tiny_distilled_patch16_224')
    path = tmp_path / 'distilled.pth'
    torch.save({'model': reference.state_dict()}, path)
    with pytest.raises(CheckpointError) as error:
        mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=str(path))
    message = str(error.value)
    assert str(path) in message
    assert 'backbone.pos_embed: checkpoint (1, 198, 192) vs model ' \
        '(1, 197, 192)' in message
    assert 'backbone.dist_token' in message and 'head.fc_dist' in message
