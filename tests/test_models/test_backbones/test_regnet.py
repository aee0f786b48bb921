"""RegNet against timm (a test reference only): widths of every arch, and
logits of RegNetY-16GF loaded from timm's `regnety_160` layout."""
import pytest
import timm
import torch
from timm.models.regnet import RegNet as TimmRegNet
from timm.models.regnet import model_cfgs
from torch import nn

import mmdeit
from mmdeit.models.backbones.regnet import (ARCH_SETTINGS, RegNet,
                                            regnet_stage_widths)

TIMM_NAMES = {
    'regnety-200mf': 'regnety_002', 'regnety-400mf': 'regnety_004',
    'regnety-600mf': 'regnety_006', 'regnety-800mf': 'regnety_008',
    'regnety-1.6gf': 'regnety_016', 'regnety-3.2gf': 'regnety_032',
    'regnety-4gf': 'regnety_040', 'regnety-6.4gf': 'regnety_064',
    'regnety-8gf': 'regnety_080', 'regnety-12gf': 'regnety_120',
    'regnety-16gf': 'regnety_160', 'regnety-32gf': 'regnety_320',
}


@pytest.mark.parametrize('arch', sorted(ARCH_SETTINGS))
def test_stage_widths_match_timm(arch):
    settings = ARCH_SETTINGS[arch]
    stage_args, _ = TimmRegNet._get_stage_args(None,
                                               model_cfgs[TIMM_NAMES[arch]])
    expected = ([a['out_chs'] for a in stage_args],
                [a['depth'] for a in stage_args],
                [a['group_size'] for a in stage_args])
    assert regnet_stage_widths(
        settings['w0'], settings['wa'], settings['wm'], settings['depth'],
        settings['group_width']) == expected


def test_regnety_16gf_widths_written_out():
    # RegNetY-16GF as the RegNet paper lists it: depths 2, 4, 11, 1,
    # widths 224, 448, 1232, 3024, group width 112.
    assert regnet_stage_widths(200, 106.23, 2.48, 18, 112) == (
        [224, 448, 1232, 3024], [2, 4, 11, 1], [112] * 4)


def test_forward_shapes_and_out_indices():
    model = RegNet('regnety-200mf', out_indices=(0, 1, 2, 3)).eval()
    outs = model(torch.randn(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [
        (2, 24, 16, 16), (2, 56, 8, 8), (2, 152, 4, 4), (2, 368, 2, 2)]
    assert model.out_channels == [24, 56, 152, 368]
    # a stride-1 stem doubles every map: 28 px ends on 2x2, not 1x1
    fine = RegNet('regnety-200mf', stem_stride=1).eval()
    assert fine(torch.randn(2, 3, 28, 28))[0].shape == (2, 368, 2, 2)
    # A RegNetX (no SE) from a dict.
    plain = RegNet(dict(w0=24, wa=36.44, wm=2.49, depth=13, group_width=8))
    assert not any('.se.' in name for name, _ in plain.named_parameters())


def test_init_zeroes_last_bn_of_each_block():
    model = RegNet('regnety-200mf')
    model.init_weights()
    block = model.stages[3][0]
    assert torch.count_nonzero(block.conv3.bn.weight) == 0
    assert torch.all(block.conv1.bn.weight == 1)
    # He-normal with fan-out per group: grouped 3x3 conv of 368 channels,
    # group width 8, has fan-out 9 * 8 = 72, std sqrt(2 / 72).
    std = block.conv2.conv.weight.std().item()
    assert abs(std - (2 / 72)**0.5) < 0.01


def randomise_batch_norms(model: nn.Module, rng: torch.Generator):
    """Non-trivial BN statistics and affine terms, small on the last BN of
    each residual branch so that depth does not blow the activations up."""
    for name, module in model.named_modules():
        if isinstance(module, nn.BatchNorm2d):
            n = module.num_features
            scale = 0.2 if 'conv3' in name else 1.0
            module.weight.data = scale * (0.5 + torch.rand(n, generator=rng))
            module.bias.data = 0.1 * torch.randn(n, generator=rng)
            module.running_mean.data = 0.1 * torch.randn(n, generator=rng)
            module.running_var.data = 0.5 + torch.rand(n, generator=rng)


@pytest.mark.parametrize('timm_name,zoo_name,size', [
    ('regnety_002', None, 64),
    ('regnety_160', 'regnety-16gf_in1k', 224),
])
def test_logits_match_timm(tmp_path, timm_name, zoo_name, size):
    generator = torch.Generator().manual_seed(0)
    reference = timm.create_model(timm_name).eval()
    randomise_batch_norms(reference, generator)
    path = tmp_path / f'{timm_name}.pth'
    # The official teacher file's layout: {'model': timm state dict}.
    torch.save({'model': reference.state_dict()}, path)

    if zoo_name is not None:
        model = mmdeit.get_model(zoo_name, pretrained=str(path))
    else:
        from mmdeit.checkpoint import load_pretrained
        from mmdeit.models import ImageClassifier
        model = ImageClassifier(
            backbone=dict(type='RegNet', arch='regnety-200mf'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=368)).eval()
        report = load_pretrained(model, str(path))
        assert report.layout == 'timm-regnet'
    image = torch.randn(1, 3, size, size, generator=generator)
    with torch.no_grad():
        expected = reference(image)
        logits = model(image)
    assert expected.abs().max() > 0.1  # a non-trivial reference
    torch.testing.assert_close(logits, expected, atol=1e-3, rtol=1e-4)
