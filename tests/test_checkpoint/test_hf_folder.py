"""Hugging Face transformers folders in and out: transformers' own models
with random weights are the reference."""
import json
import logging

import pytest
import torch
from mmengine.logging import MMLogger

import mmdeit
from mmdeit.checkpoint import (CheckpointError, from_mmdeit, load_pretrained,
                               read_hf_folder, save_hf, to_mmdeit)
from mmdeit.checkpoint.exporting import processor_of
from mmdeit.checkpoint.hf_folder import hf_config
from mmdeit.checkpoint.layouts.hf import hf_architecture
from tests.helpers.reference_models import (VARIANTS, full_size_model,
                                            hf_config_for, hf_model_for,
                                            images, mmdeit_model, perturb_,
                                            shallow)

transformers = pytest.importorskip('transformers')


def hf_logits(model, x):
    with torch.no_grad():
        return model(x).logits


def load_exported(folder):
    model, info = transformers.AutoModelForImageClassification.from_pretrained(
        folder, output_loading_info=True)
    assert not any(info[k] for k in ('missing_keys', 'unexpected_keys',
                                     'mismatched_keys')), info
    return model.eval()


@pytest.mark.parametrize('name', list(VARIANTS))
def test_round_trip_gives_transformers_logits(name, tmp_path):
    reference = hf_model_for(name)
    reference.save_pretrained(tmp_path / 'hf')
    x = images(name)
    expected = hf_logits(reference, x)

    model = mmdeit_model(name, pretrained=str(tmp_path / 'hf'))
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected, rtol=0, atol=1e-4)

    save_hf(model, str(tmp_path / 'out'))
    exported = load_exported(tmp_path / 'out')
    assert type(exported) is type(reference)
    torch.testing.assert_close(hf_logits(exported, x), expected, rtol=0,
                               atol=1e-4)


@pytest.mark.parametrize('name', list(VARIANTS))
def test_full_size_names_shapes_and_config(name):
    """At full depth, without running anything: transformers' parameters
    map one to one onto the zoo model's (same count, names, shapes), and the
    exported config describes the same model."""
    from transformers import (DeiTForImageClassificationWithTeacher,
                              ViTForImageClassification)
    _, dims, heads, size, distilled = VARIANTS[name]
    hf_type = DeiTForImageClassificationWithTeacher if distilled \
        else ViTForImageClassification
    with torch.device('meta'):
        reference = hf_type(hf_config_for(name, depth=12))
    ours = full_size_model(name)
    own = {k: v.shape for k, v in ours.state_dict().items()}
    converted = {k: v.shape for k, v in
                 to_mmdeit(reference.state_dict(), 'hf')[0].items()}
    assert converted == own
    assert sum(p.numel() for p in ours.parameters()) == \
        sum(p.numel() for p in reference.parameters())
    assert hf_architecture(ours.state_dict()).name == hf_type.__name__
    exported = from_mmdeit(ours.state_dict(), 'hf')
    assert {k: v.shape for k, v in
            to_mmdeit(exported, 'hf')[0].items()} == own

    config = hf_config(ours)
    assert config['architectures'] == [hf_type.__name__]
    assert (config['hidden_size'], config['num_hidden_layers'],
            config['num_attention_heads'], config['intermediate_size'],
            config['image_size'], config['patch_size'],
            config['layer_norm_eps'], config['qkv_bias']) == \
        (dims, 12, heads, 4 * dims, size, 16, 1e-6, True)
    assert len(config['id2label']) == 1000
    with torch.device('meta'):
        rebuilt = hf_type(type(reference.config)(**config))
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
        {k: v.shape for k, v in reference.state_dict().items()}


def test_single_head_deit_is_a_distilled_backbone_with_one_head(tmp_path):
    """DeiTForImageClassification has a distillation token but classifies
    the class token only."""
    name = 'deit-tiny_pt-4xb256_in1k'
    torch.manual_seed(0)
    reference = perturb_(transformers.DeiTForImageClassification(
        transformers.DeiTConfig(**hf_config_for(name).to_dict())))
    reference.save_pretrained(tmp_path / 'hf')
    model = mmdeit_model(name, pretrained=str(tmp_path / 'hf'),
                         backbone=dict(type='DistilledVisionTransformer'))
    x = images(name)
    with torch.no_grad():
        torch.testing.assert_close(model(x), hf_logits(reference, x),
                                   rtol=0, atol=1e-4)
    save_hf(model, str(tmp_path / 'out'))
    exported = load_exported(tmp_path / 'out')
    assert type(exported).__name__ == 'DeiTForImageClassification'
    torch.testing.assert_close(hf_logits(exported, x), hf_logits(reference, x),
                               rtol=0, atol=1e-4)


def test_deit_model_loads_into_a_backbone(tmp_path):
    """A bare DeiTModel: its pooler is not DeiT's and is named as unused;
    loading the backbone alone gives transformers' tokens."""
    name = 'deit-tiny-distilled_pt-4xb256_in1k'
    torch.manual_seed(0)
    reference = perturb_(transformers.DeiTModel(hf_config_for(name)))
    reference.save_pretrained(tmp_path / 'hf')

    model = mmdeit_model(name)
    with pytest.raises(CheckpointError) as error:
        load_pretrained(model, str(tmp_path / 'hf'))
    assert 'pooler.dense.weight' in str(error.value)
    assert 'head.fc.weight' in str(error.value)

    load_pretrained(model.backbone, str(tmp_path / 'hf'), prefix='backbone.')
    x = images(name)
    with torch.no_grad():
        cls_token, dist_token = model.backbone(x)[-1]
        hidden = reference(x).last_hidden_state
    torch.testing.assert_close(cls_token, hidden[:, 0], rtol=0, atol=1e-4)
    torch.testing.assert_close(dist_token, hidden[:, 1], rtol=0, atol=1e-4)


def test_memory_names_and_file_names_convert_alike(tmp_path):
    """transformers 5 names its modules q_proj/mlp.fc1 in memory and writes
    query/intermediate.dense; both read the same."""
    from safetensors.torch import load_file
    reference = hf_model_for('deit-tiny-distilled_pt-4xb256_in1k')
    reference.save_pretrained(tmp_path)
    in_memory, _ = to_mmdeit(reference.state_dict(), 'hf')
    on_disk, _ = to_mmdeit(load_file(tmp_path / 'model.safetensors'), 'hf')
    assert in_memory.keys() == on_disk.keys()
    for key in in_memory:
        torch.testing.assert_close(in_memory[key], on_disk[key])
    assert not any(k.startswith('deit.') for k in on_disk)


def test_weights_file_and_pickle_and_shards(tmp_path):
    name = 'deit-tiny_pt-4xb256_in1k'
    reference = hf_model_for(name)
    reference.save_pretrained(tmp_path / 'one')
    reference.save_pretrained(tmp_path / 'shards', max_shard_size='500KB')
    assert (tmp_path / 'shards' / 'model.safetensors.index.json').exists()
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'bin' / 'config.json').write_text(
        (tmp_path / 'one' / 'config.json').read_text())
    from safetensors.torch import load_file
    torch.save(load_file(tmp_path / 'one' / 'model.safetensors'),
               tmp_path / 'bin' / 'pytorch_model.bin')

    x = images(name)
    expected = hf_logits(reference, x)
    for source in (tmp_path / 'one' / 'model.safetensors', tmp_path / 'shards',
                   tmp_path / 'bin'):
        model = mmdeit_model(name, pretrained=str(source))
        with torch.no_grad():
            torch.testing.assert_close(model(x), expected, rtol=0, atol=1e-4)


def test_layer_norm_eps_comes_from_config_json(tmp_path):
    """The model takes the config's eps (warning that it changed), so its
    outputs match even with an eps far from DeiT's 1e-6."""
    name = 'deit-tiny-distilled_pt-4xb256_in1k'
    reference = hf_model_for(name, layer_norm_eps=0.5)
    reference.save_pretrained(tmp_path)
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        model = mmdeit_model(name, pretrained=str(tmp_path))
    finally:
        logger.removeHandler(handler)
    assert any('LayerNorm eps 0.5' in r.getMessage() and
               r.levelno == logging.WARNING for r in records)
    assert {m.eps for m in model.modules()
            if isinstance(m, torch.nn.LayerNorm)} == {0.5}
    assert model.cfg.model.backbone.norm_eps == 0.5
    assert 'norm_cfg' not in model.cfg.model.backbone
    x = images(name)
    with torch.no_grad():
        torch.testing.assert_close(model(x), hf_logits(reference, x),
                                   rtol=0, atol=1e-4)
    # the export writes the eps the model uses
    assert hf_config(model)['layer_norm_eps'] == 0.5


def test_folder_meta_holds_eps_and_class_names(tmp_path):
    config = hf_config_for('deit-tiny_pt-4xb256_in1k')
    config.id2label = {i: f'class {i}' for i in range(1000)}
    config.label2id = {f'class {i}': i for i in range(1000)}
    transformers.ViTForImageClassification(config).save_pretrained(tmp_path)
    checkpoint = read_hf_folder(str(tmp_path))
    assert checkpoint['meta']['norm_eps'] == 1e-12
    assert checkpoint['meta']['dataset_meta']['classes'][:2] == \
        ['class 0', 'class 1']
    _, layout = to_mmdeit(checkpoint['state_dict'])
    assert layout == 'hf'


@pytest.mark.parametrize('change, message', [
    (dict(hidden_act='gelu_new'), 'hidden_act'),
    (dict(model_type='beit'), 'model_type'),
])
def test_settings_mmdeit_cannot_represent_are_refused(tmp_path, change,
                                                      message):
    hf_model_for('deit-tiny_pt-4xb256_in1k', depth=1).save_pretrained(tmp_path)
    config = json.loads((tmp_path / 'config.json').read_text())
    config.update(change)
    (tmp_path / 'config.json').write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=message):
        read_hf_folder(str(tmp_path))


def test_folder_without_weights_or_config(tmp_path):
    with pytest.raises(CheckpointError, match='config.json'):
        mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=str(tmp_path))
    (tmp_path / 'config.json').write_text(json.dumps(dict(model_type='vit')))
    with pytest.raises(CheckpointError, match='holds no weights'):
        mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=str(tmp_path))


def test_export_names_classes_and_preprocessing(tmp_path):
    from PIL import Image

    from mmdeit.datasets.categories import IMAGENET_CATEGORIES
    name = 'deit-base-distilled_ft-16xb32_in1k-384px'
    model = mmdeit_model(name, depth=1)
    notes = save_hf(model, str(tmp_path), classes=list(IMAGENET_CATEGORIES))
    assert notes == []  # the ImageNet evaluation has its transformers form
    config = transformers.AutoConfig.from_pretrained(tmp_path)
    assert config.id2label[0] == IMAGENET_CATEGORIES[0]
    assert config.id2label[999] == IMAGENET_CATEGORIES[999]

    processor = transformers.AutoImageProcessor.from_pretrained(tmp_path)
    assert type(processor).__name__ == 'DeiTImageProcessor'
    # the config's test pipeline: the shorter side to 438, crop 384
    written = processor_of(model).config
    assert written['size'] == dict(shortest_edge=438)
    assert written['crop_size'] == dict(height=384, width=384)
    # a plain grey image: resize and crop keep it, normalisation does not
    pixels = processor(Image.new('RGB', (500, 400), (128, 128, 128)),
                       return_tensors='pt')['pixel_values']
    assert pixels.shape == (1, 3, 384, 384)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    torch.testing.assert_close(pixels[0], ((128 / 255 - mean) / std).expand(
        3, 384, 384), rtol=0, atol=1e-4)
    assert processor_of(mmdeit_model('deit-tiny_pt-4xb256_in1k', depth=1)
                        ).config['crop_size'] == dict(height=224, width=224)


def test_two_heads_need_a_distillation_token():
    model = mmdeit_model('deit-tiny_pt-4xb256_in1k', depth=1,
                         head=dict(type='DeiTClsHead'))
    with pytest.raises(CheckpointError, match='distillation token'):
        hf_config(model)


def test_shallow_overrides_reach_the_model():
    model = mmdeit_model('deit-small_pt-4xb256_in1k')
    assert len(model.backbone.layers) == 2
    assert shallow('deit-small_pt-4xb256_in1k')['backbone']['arch'][
        'num_heads'] == model.backbone.layers[0].attn.num_heads == 6
