"""Every DeiT III config loads each checkpoint layout (official, timm,
MMPretrain) of timm's ``deit3_*`` weights and gives timm's logits; export to
timm gives them back.

Small, medium and base at 224 px run at full depth; the 384 px variants,
large and huge, slow to build and run on a small CPU, run at 2 layers (the
layout does not depend on depth; the 384 px position embedding is checked
whole) and are checked at full depth for names and shapes on the meta
device."""
import pytest
import torch

import mmdeit
from mmdeit.apis import build_model_from_config, load_config
from mmdeit.apis.conversion import import_checkpoint
from mmdeit.checkpoint import load_pretrained, save_timm, save_weights
from mmdeit.checkpoint.layouts import to_mmdeit
from tests.helpers.deit3_reference import (DEIT3_VARIANTS, images,
                                           official_to_mmpretrain, shallow,
                                           timm_deit3, to_official)

timm = pytest.importorskip('timm')

SHALLOW_DEPTH = 2
FULL = ['deit3-small-p16_64xb64_in1k', 'deit3-medium-p16_64xb64_in1k',
        'deit3-base-p16_64xb64_in1k']
SHALLOW = [n for n in DEIT3_VARIANTS if n not in FULL]


def write_layouts(reference, folder):
    """The reference's weights as the three files: official ``{'model':
    ...}`` .pth, timm's bare .safetensors, MMPretrain's ``{'state_dict':
    ...}`` .pth."""
    state = reference.state_dict()
    official = to_official(state)
    # what timm reads from an official file is its own state dict
    filtered = timm.models.vision_transformer.checkpoint_filter_fn(
        dict(official), reference, adapt_layer_scale=True)
    assert filtered.keys() == state.keys()
    paths = dict(official=folder / 'official.pth',
                 timm=folder / 'timm.safetensors',
                 mmpretrain=folder / 'mmpretrain.pth')
    torch.save(dict(model=official), paths['official'])
    save_weights(state, str(paths['timm']))
    torch.save(dict(state_dict=official_to_mmpretrain(official),
                    meta=dict()), paths['mmpretrain'])
    return {layout: str(path) for layout, path in paths.items()}


@pytest.mark.parametrize('name', list(DEIT3_VARIANTS))
def test_every_layout_gives_timm_logits(name, tmp_path):
    depth = None if name in FULL else SHALLOW_DEPTH
    reference = timm_deit3(name, depth)
    paths = write_layouts(reference, tmp_path)
    overrides = {} if depth is None else shallow(name, depth)
    x = images(name)
    with torch.no_grad():
        expected = reference(x)

    # the zoo's way, official file
    model = mmdeit.get_model(name, pretrained=paths['official'], **overrides)
    assert sum(p.numel() for p in model.parameters()) == \
        sum(p.numel() for p in reference.parameters())
    for layout, path in paths.items():
        if layout != 'official':
            with torch.no_grad():  # another layout into the same model
                for param in model.parameters():
                    param.zero_()
            report = load_pretrained(model, path)
            assert report.layout == ('timm' if layout == 'official'
                                     else layout)
        with torch.no_grad():
            logits = model(x)
        torch.testing.assert_close(logits, expected, rtol=0, atol=1e-4,
                                   msg=f'{name}, {layout} layout')

    # export to timm: timm's model reads it strictly and computes the same
    exported = tmp_path / 'exported.pth'
    save_timm(model.state_dict(), str(exported))
    with torch.no_grad():
        for param in reference.parameters():
            param.zero_()
    reference.load_state_dict(torch.load(exported)['model'])
    with torch.no_grad():
        torch.testing.assert_close(reference(x), expected, rtol=0,
                                   atol=1e-4)


@pytest.mark.parametrize('name', SHALLOW)
def test_full_depth_names_and_shapes(name):
    """The variants run shallow, at their real depth on the meta device:
    every key of each layout maps onto the config's model with its shape."""
    with torch.device('meta'):
        reference = timm.create_model(DEIT3_VARIANTS[name][0])
        cfg = load_config(name)
        cfg.model.pop('init_cfg', None)
        model = build_model_from_config(cfg)
    state = reference.state_dict()
    ours = model.state_dict()
    assert len(ours) == len(state)
    for source in (state, to_official(state),
                   official_to_mmpretrain(to_official(state))):
        converted, _ = to_mmdeit(source)
        assert converted.keys() == ours.keys()
        for key, value in converted.items():
            assert value.shape == ours[key].shape, key
    assert model.backbone.num_layers == DEIT3_VARIANTS[name][3]


def test_import_checkpoint_builds_deit3(tmp_path):
    """The converter's completeness check builds the model the weights
    describe: a DeiT III with LayerScale and a patch-only position
    embedding."""
    name = 'deit3-small-p16_64xb64_in1k'
    reference = timm_deit3(name, depth=SHALLOW_DEPTH)
    paths = write_layouts(reference, tmp_path)
    for layout in ('official', 'mmpretrain'):
        converted = import_checkpoint(paths[layout])
        state = converted['state_dict']
        assert state['backbone.pos_embed'].shape == (1, 196, 384)
        torch.testing.assert_close(state['backbone.layers.1.ls2.gamma'],
                                   reference.blocks[1].ls2.gamma.detach())
