"""tools/model_converters/*: each converter as a user runs it, checked
against timm and transformers."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import mmdeit
from mmdeit.checkpoint import CheckpointError

timm = pytest.importorskip('timm')
transformers = pytest.importorskip('transformers')

ROOT = Path(__file__).parents[2]
TOOLS = ROOT / 'tools' / 'model_converters'
# DeiT-tiny distilled with two layers, as a config file a user would write
BASE = ROOT / 'configs' / 'deit' / 'deit-tiny-distilled_pt-4xb256_in1k.py'
CONFIG = f'''_base_ = ['{BASE}']
model = dict(backbone=dict(arch=dict(
    _delete_=True, embed_dims=192, num_layers=2, num_heads=3,
    feedforward_channels=768)))
'''


def tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def noisy(module):
    with torch.no_grad():
        for param in module.parameters():
            param.add_(torch.randn_like(param) * 0.02)
    return module.eval()


@pytest.fixture
def config(tmp_path):
    path = tmp_path / 'deit_tiny_distilled_2_layers.py'
    path.write_text(CONFIG)
    return str(path)


@pytest.fixture
def x():
    return torch.randn(1, 3, 224, 224)


def test_timm_in_timm_and_hf_out(tmp_path, config, x):
    torch.manual_seed(0)
    reference = noisy(timm.create_model('deit_tiny_distilled_patch16_224',
                                        depth=2))
    torch.save({'model': reference.state_dict()}, tmp_path / 'official.pth')
    with torch.no_grad():
        expected = reference(x)

    converted = tool('timm_to_mmdeit')([str(tmp_path / 'official.pth'),
                                        str(tmp_path / 'mmdeit.pth')])
    checkpoint = torch.load(converted, weights_only=True)
    assert checkpoint['meta']['source_layout'] == 'timm'
    assert 'backbone.layers.1.ffn.fc2.weight' in checkpoint['state_dict']

    for out in ('back.pth', 'back.safetensors'):
        tool('mmdeit_to_timm')([config, converted, str(tmp_path / out)])
        loaded = timm.create_model(
            'deit_tiny_distilled_patch16_224', depth=2, pretrained=True,
            pretrained_cfg_overlay=dict(file=str(tmp_path / out))).eval()
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), expected, rtol=0, atol=1e-4)

    tool('mmdeit_to_hf')([config, converted, str(tmp_path / 'hf')])
    assert sorted(p.name for p in (tmp_path / 'hf').iterdir()) == [
        'config.json', 'model.safetensors', 'preprocessor_config.json']
    exported = transformers.DeiTForImageClassificationWithTeacher \
        .from_pretrained(tmp_path / 'hf').eval()
    assert exported.config.layer_norm_eps == 1e-6
    assert exported.config.id2label[1] == 'goldfish, Carassius auratus'
    with torch.no_grad():
        torch.testing.assert_close(exported(x).logits, expected, rtol=0,
                                   atol=1e-4)


def test_hf_in_keeps_eps_and_class_names(tmp_path, config, x):
    hf_config = transformers.DeiTConfig(
        hidden_size=192, num_hidden_layers=2, num_attention_heads=3,
        intermediate_size=768, num_labels=1000,
        id2label={i: f'class {i}' for i in range(1000)},
        label2id={f'class {i}': i for i in range(1000)})
    torch.manual_seed(0)
    reference = noisy(
        transformers.DeiTForImageClassificationWithTeacher(hf_config))
    reference.save_pretrained(tmp_path / 'hf')

    converted = tool('hf_to_mmdeit')([str(tmp_path / 'hf'),
                                      str(tmp_path / 'mmdeit.pth')])
    meta = torch.load(converted, weights_only=True)['meta']
    assert meta['norm_eps'] == 1e-12
    assert meta['dataset_meta']['classes'][7] == 'class 7'

    model = mmdeit.get_model(config, pretrained=converted)
    assert model.backbone.norm.eps == 1e-12
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x).logits, rtol=0,
                                   atol=1e-4)

    tool('mmdeit_to_hf')([config, converted, str(tmp_path / 'out')])
    exported = transformers.AutoModelForImageClassification.from_pretrained(
        tmp_path / 'out')
    assert exported.config.id2label[7] == 'class 7'
    assert exported.config.layer_norm_eps == 1e-12

    with pytest.raises(CheckpointError, match='hf layout, not timm'):
        tool('timm_to_mmdeit')([str(tmp_path / 'hf'), str(tmp_path / 'x.pth')])


def test_hf_deit_model_needs_its_pooler_dropped(tmp_path):
    transformers.DeiTModel(transformers.DeiTConfig(
        hidden_size=192, num_hidden_layers=1, num_attention_heads=3,
        intermediate_size=768)).save_pretrained(tmp_path / 'hf')
    with pytest.raises(CheckpointError, match='pooler.dense.weight'):
        tool('hf_to_mmdeit')([str(tmp_path / 'hf'), str(tmp_path / 'a.pth')])
    assert not (tmp_path / 'a.pth').exists()
    out = tool('hf_to_mmdeit')([str(tmp_path / 'hf'), str(tmp_path / 'a.pth'),
                                '--drop', r'^pooler\.'])
    assert torch.load(out, weights_only=True)['meta']['dropped_keys'] == [
        'pooler.dense.bias', 'pooler.dense.weight']


# mmdeit name -> MMPretrain name, where they differ
TO_MMPRETRAIN = [('.ffn.fc1.', '.ffn.layers.0.0.'),
                 ('.ffn.fc2.', '.ffn.layers.1.'),
                 ('backbone.norm.', 'backbone.ln1.'),
                 ('head.fc_dist.', 'head.layers.head_dist.'),
                 ('head.fc.', 'head.layers.head.')]


def test_mmpretrain_in(tmp_path, config):
    state = mmdeit.get_model(config).state_dict()
    mmpretrain = {}
    for key, value in state.items():
        for ours, theirs in TO_MMPRETRAIN:
            key = key.replace(ours, theirs)
        mmpretrain[key] = value
    assert 'backbone.ln1.weight' in mmpretrain
    torch.save(dict(state_dict=mmpretrain), tmp_path / 'mmpretrain.pth')
    out = tool('mmpretrain_to_mmdeit')([str(tmp_path / 'mmpretrain.pth'),
                                        str(tmp_path / 'mmdeit.pth')])
    converted = torch.load(out, weights_only=True)['state_dict']
    assert converted.keys() == state.keys()
    for key, value in state.items():
        torch.testing.assert_close(converted[key], value, rtol=0, atol=0)


def test_publish_model_runs_as_a_script(tmp_path):
    state = {'backbone.cls_token': torch.ones(1, 1, 4)}
    torch.save(dict(state_dict=state, meta=dict(epoch=1),
                    optimizer=dict(state={})), tmp_path / 'epoch_1.pth')
    result = subprocess.run(
        [sys.executable, str(TOOLS / 'publish_model.py'),
         str(tmp_path / 'epoch_1.pth'), str(tmp_path / 'deit.pth')],
        capture_output=True, text=True, check=True, cwd=ROOT)
    path = result.stdout.strip().splitlines()[-1]
    assert Path(path).name.startswith('deit-') and Path(path).exists()
    assert sorted(torch.load(path, weights_only=True)) == ['meta',
                                                           'state_dict']
