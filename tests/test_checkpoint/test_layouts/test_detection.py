"""Layout detection: one answer per state dict, whatever the order in which
the layouts are imported or listed; an error naming the keys when none or
several fit; and every layout's table read both ways."""
import itertools
import json
import subprocess
import sys

import pytest
import torch

from mmdeit.checkpoint import (LAYOUTS, CheckpointError, detect_layout,
                               from_mmdeit, load_pretrained, to_mmdeit)
from mmdeit.checkpoint import layouts as layouts_package
from tests.helpers.reference_models import (hf_model_for, mmdeit_model,
                                            mmpretrain_literal,
                                            timm_model_for)
from tests.helpers.repo import ROOT

timm = pytest.importorskip('timm')
NAME = 'deit-tiny-distilled_pt-4xb256_in1k'


@pytest.fixture(scope='module')
def samples(tmp_path_factory):
    """A real state dict per layout, by the layout's name."""
    reference = timm_model_for(NAME).state_dict()
    from safetensors.torch import load_file
    folder = tmp_path_factory.mktemp('hf')
    hf_model_for(NAME).save_pretrained(folder)
    with torch.device('meta'):
        regnet = timm.create_model('regnety_002').state_dict()
    return {
        'timm': reference,
        'hf': load_file(folder / 'model.safetensors'),  # the names on disk
        'mmpretrain': mmpretrain_literal(reference),
        'mmdeit': mmdeit_model(NAME).state_dict(),
        'timm-regnet': regnet,
    }


def test_every_layout_has_a_sample(samples):
    assert sorted(samples) == sorted(LAYOUTS)


def test_detection_is_the_same_in_every_listing_order(samples, monkeypatch):
    for order in itertools.permutations(sorted(LAYOUTS)):
        monkeypatch.setattr(layouts_package, 'LAYOUTS',
                            {name: LAYOUTS[name] for name in order})
        assert {name: layouts_package.detect_layout(state).name
                for name, state in samples.items()} == \
            {name: name for name in samples}


DETECT = '''
import importlib, json, sys
for module in sys.argv[1].split(','):
    importlib.import_module('mmdeit.checkpoint.layouts.' + module)
from mmdeit.checkpoint import detect_layout
samples = json.loads(sys.stdin.read())
print(json.dumps({name: detect_layout(dict.fromkeys(keys)).name
                  for name, keys in samples.items()}))
'''


def test_detection_is_the_same_in_every_import_order(samples):
    modules = sorted(name for name in ('hf', 'mmdeit', 'mmpretrain',
                                       'regnet', 'timm'))
    keys = json.dumps({name: list(state) for name, state in samples.items()})
    for order in (modules, modules[::-1]):
        run = subprocess.run(
            [sys.executable, '-c', DETECT, ','.join(order)], input=keys,
            capture_output=True, text=True, cwd=ROOT, check=True)
        assert json.loads(run.stdout) == {name: name for name in samples}


def test_none_fitting_names_the_keys():
    with pytest.raises(CheckpointError,
                       match='unrecognised.*fits.*neck.conv.weight'):
        detect_layout({'neck.conv.weight': torch.zeros(1)})


def test_several_fitting_names_each_layout_and_its_keys(samples, tmp_path):
    mixed = {**samples['timm'], **samples['hf']}
    with pytest.raises(CheckpointError) as error:
        detect_layout(mixed)
    message = str(error.value)
    assert 'ambiguous' in message
    assert 'hf (by deit.embeddings.patch_embeddings.projection.weight)' \
        in message
    assert 'timm (by patch_embed.proj.weight, blocks.0.attn.qkv.weight)' \
        in message
    path = tmp_path / 'mixed.pth'
    torch.save(mixed, path)
    with pytest.raises(CheckpointError, match=f'{path}: ambiguous'):
        load_pretrained(mmdeit_model(NAME), str(path))
    # naming the layout settles it
    converted, layout = to_mmdeit(mixed, 'timm')
    assert layout == 'timm'
    assert 'backbone.layers.0.attn.qkv.weight' in converted


def test_an_unknown_layout_name_lists_the_known_ones():
    with pytest.raises(CheckpointError, match='"tf".*hf, mmdeit'):
        from_mmdeit({}, 'tf')


@pytest.mark.parametrize('layout', sorted(LAYOUTS))
def test_each_table_reads_back_what_it_writes(samples, layout):
    """foreign -> mmdeit -> foreign gives the same keys and tensors."""
    state = samples[layout]
    ours, found = to_mmdeit(state)
    assert found == layout
    back = from_mmdeit(ours, layout)
    assert sorted(back) == sorted(state)
    for key, value in state.items():
        if value.device.type != 'meta':
            torch.testing.assert_close(back[key], value, rtol=0, atol=0)


def test_the_three_ways_agree_on_mmdeit_names(samples):
    """timm, transformers and MMPretrain weights of one model give the names
    and shapes the mmdeit model has; MMPretrain's (made from timm's) the
    same tensors as timm's."""
    own = samples['mmdeit']
    for layout in ('timm', 'hf', 'mmpretrain'):
        ours, _ = to_mmdeit(samples[layout])
        assert {k: v.shape for k, v in ours.items()} == \
            {k: v.shape for k, v in own.items()}, layout
    timm_ours, _ = to_mmdeit(samples['timm'])
    mmpretrain_ours, _ = to_mmdeit(samples['mmpretrain'])
    for key, value in timm_ours.items():
        torch.testing.assert_close(mmpretrain_ours[key], value, rtol=0,
                                   atol=0, msg=key)
