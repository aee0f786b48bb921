"""ONNX export checked with onnxruntime against PyTorch, the inferencer
running an exported file whatever its batch, and the file read as data: the
config in its metadata never runs."""
import json

import numpy as np
import pytest
import torch

import mmdeit
from mmdeit.apis.onnx_model import (CONFIG_KEY, LEGACY_CONFIG_KEY,
                                    OnnxClassifier, export_onnx,
                                    max_abs_diff)

onnx = pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

TINY = dict(
    backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                            feedforward_channels=64)),
    head=dict(in_channels=32))


def tiny_model(name):
    torch.manual_seed(0)
    model = mmdeit.get_model(name, **TINY)
    # random heads are near zero; larger weights make differences visible
    for param in model.head.parameters():
        param.data.normal_(0, 1)
    return model


@pytest.fixture(scope='module')
def distilled():
    return tiny_model('deit-tiny-distilled_pt-4xb256_in1k')


def test_distilled_model_exports_the_average_and_both_heads(distilled,
                                                            tmp_path):
    path = str(tmp_path / 'distilled.onnx')
    names = export_onnx(distilled, path, dynamic_batch=True, both_heads=True)
    assert names == ['logits', 'cls_logits', 'dist_logits']
    session = OnnxClassifier(path)
    inputs = torch.randn(3, 3, 224, 224)  # traced with 1: the batch is free
    outputs = session.run(inputs)
    with torch.no_grad():
        feats = distilled.extract_feat(inputs)
        cls_logits, dist_logits = distilled.head.forward_both(feats)
    for name, expected in (('cls_logits', cls_logits),
                           ('dist_logits', dist_logits),
                           ('logits', (cls_logits + dist_logits) / 2)):
        assert outputs[name].shape == (3, 1000)
        assert (outputs[name] - expected).abs().max() <= 1e-4, name
    # the two heads differ, so the average is a real choice
    assert (cls_logits - dist_logits).abs().max() > 1
    assert max(max_abs_diff(distilled, session, inputs, True).values()) \
        <= 1e-4


def test_plain_model_parity_and_fixed_batch(tmp_path):
    """A file traced for a fixed batch of 2 takes 3 images: the batch is
    cut into the file's batch and the last part padded."""
    model = tiny_model('deit-tiny_pt-4xb256_in1k')
    path = str(tmp_path / 'plain.onnx')
    assert export_onnx(model, path, batch_size=2,
                       dynamic_batch=False) == ['logits']
    session = OnnxClassifier(path)
    assert session.session.get_inputs()[0].shape[0] == 2
    for batch in (2, 3, 1, 5):
        inputs = torch.randn(batch, 3, 224, 224)
        with torch.no_grad():
            expected = model(inputs)
        got = session(inputs)
        assert got.shape == (batch, 1000)
        assert (got - expected).abs().max() <= 1e-4, batch
    with pytest.raises(ValueError, match='one head'):
        export_onnx(model, str(tmp_path / 'x.onnx'), both_heads=True)


def images(count):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (240 + 20 * i, 300, 3), dtype=np.uint8)
            for i in range(count)]


@pytest.mark.parametrize('options', [dict(), dict(dynamic_batch=False)],
                         ids=['default', 'fixed-batch-1'])
def test_three_images_through_the_inferencer(distilled, tmp_path, options):
    """The default export and a file of fixed batch 1 both classify 3
    images in one call of the inferencer (batches of 8)."""
    path = str(tmp_path / 'distilled.onnx')
    export_onnx(distilled, path, **options)
    batch = OnnxClassifier(path).session.get_inputs()[0].shape[0]
    assert batch == (1 if options else 'batch')
    expected = mmdeit.ImageClassificationInferencer(distilled)(
        images(3), show_progress=False)
    got = mmdeit.ImageClassificationInferencer(path)(images(3),
                                                     show_progress=False)
    assert len(got) == 3
    for ours, theirs in zip(got, expected):
        assert ours['pred_label'] == theirs['pred_label']
        np.testing.assert_allclose(ours['pred_scores'], theirs['pred_scores'],
                                   atol=1e-5)


def test_inferencer_runs_an_onnx_file_like_the_model(distilled, tmp_path):
    path = str(tmp_path / 'distilled.onnx')
    export_onnx(distilled, path, dynamic_batch=True)
    expected = mmdeit.ImageClassificationInferencer(distilled)(
        images(3), batch_size=2, show_progress=False)
    # the config (pipeline, normalisation, classes) comes from the file
    got = mmdeit.ImageClassificationInferencer(path)(
        images(3), batch_size=2, show_progress=False)
    for ours, theirs in zip(got, expected):
        assert ours['pred_label'] == theirs['pred_label']
        assert ours['pred_class'] == theirs['pred_class']
        np.testing.assert_allclose(ours['pred_scores'], theirs['pred_scores'],
                                   atol=1e-5)
    with pytest.raises(ValueError, match='ONNX model'):
        mmdeit.ImageClassificationInferencer(path, device='cuda')
    with pytest.raises(ValueError, match='precision .* ONNX model'):
        mmdeit.ImageClassificationInferencer(path, precision='bf16')


def test_a_file_without_config_needs_one(distilled, tmp_path):
    path = str(tmp_path / 'bare.onnx')
    bare = mmdeit.get_model('deit-tiny-distilled_pt-4xb256_in1k', **TINY)
    del bare.cfg
    export_onnx(bare, path)
    with pytest.raises(ValueError, match='bare.onnx holds no mmdeit config'):
        OnnxClassifier(path)
    assert OnnxClassifier(path, cfg=distilled.cfg).num_classes == 1000


def metadata(path) -> dict:
    return {entry.key: entry.value
            for entry in onnx.load(str(path)).metadata_props}


def rewrite_metadata(source, target, entries: dict) -> str:
    """A copy of the ONNX file ``source`` whose metadata is ``entries``."""
    graph = onnx.load(str(source))
    del graph.metadata_props[:]
    for key, value in entries.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(graph, str(target))
    return str(target)


@pytest.fixture(scope='module')
def exported(distilled, tmp_path_factory):
    path = tmp_path_factory.mktemp('onnx') / 'distilled.onnx'
    export_onnx(distilled, str(path))
    return path


def test_the_config_is_stored_as_json(distilled, exported):
    stored = metadata(exported)
    assert set(stored) == {CONFIG_KEY}
    config = json.loads(stored[CONFIG_KEY])
    assert config['model']['backbone']['type'] == \
        'DistilledVisionTransformer'
    cfg = OnnxClassifier(str(exported)).cfg
    assert cfg.to_dict() == distilled.cfg.to_dict()
    # tuples stay tuples
    assert cfg.test_evaluator.topk == (1, 5)


def test_a_config_that_is_not_data_is_not_exported(tmp_path):
    model = tiny_model('deit-tiny_pt-4xb256_in1k')
    model.cfg.model.head.loss.type = torch.nn.CrossEntropyLoss
    with pytest.raises(TypeError, match=r'model\.head\.loss\.type'):
        export_onnx(model, str(tmp_path / 'x.onnx'))


TAMPERED_PYTHON = ("model = dict(type='ImageClassifier')\n"
                   "_x = __import__('os').system('touch {file}')\n")


def test_python_in_the_metadata_runs_nothing(exported, tmp_path):
    """A file of an older exporter stores the config as Python: it is read
    as literals only, and anything else is refused with how to
    re-export."""
    marker = tmp_path / 'ran'
    path = rewrite_metadata(exported, tmp_path / 'tampered.onnx', {
        LEGACY_CONFIG_KEY: TAMPERED_PYTHON.format(file=marker)})
    for open_file in (OnnxClassifier, mmdeit.ImageClassificationInferencer):
        with pytest.raises(ValueError) as error:
            open_file(path)
        assert not marker.exists()
        message = str(error.value)
        assert 'tampered.onnx' in message and 'line 2' in message
        assert 'tools/deployment/pytorch2onnx.py' in message
        assert "__import__('os')" in message


def test_an_older_exporters_file_is_read_without_running_it(distilled,
                                                            exported,
                                                            tmp_path):
    path = rewrite_metadata(exported, tmp_path / 'older.onnx', {
        LEGACY_CONFIG_KEY: distilled.cfg.pretty_text})
    cfg = OnnxClassifier(path).cfg
    assert cfg.to_dict() == distilled.cfg.to_dict()
    got = mmdeit.ImageClassificationInferencer(path)(images(2),
                                                     show_progress=False)
    expected = mmdeit.ImageClassificationInferencer(distilled)(
        images(2), show_progress=False)
    assert [r['pred_label'] for r in got] == \
        [r['pred_label'] for r in expected]


@pytest.mark.parametrize('where', ['test_pipeline', 'data_preprocessor',
                                   'model.data_preprocessor'])
@pytest.mark.parametrize('type_name', ['subprocess.getoutput', 'os.system',
                                       'this'])
def test_a_stored_config_builds_registered_types_only(distilled, exported,
                                                      tmp_path, where,
                                                      type_name):
    """mmengine's registries import any dotted name they do not hold: a
    stored config may name registered types only."""
    marker = tmp_path / 'ran'
    config = distilled.cfg.to_dict()
    bad = dict(type=type_name, cmd=f'touch {marker}')
    if where == 'test_pipeline':
        config['test_pipeline'] = [bad]
    elif where == 'data_preprocessor':
        config['model'].pop('data_preprocessor', None)
        config['data_preprocessor'] = bad
    else:
        config['model']['data_preprocessor'] = bad
    path = rewrite_metadata(exported, tmp_path / 'tampered.onnx', {
        CONFIG_KEY: json.dumps(config)})
    for open_file in (OnnxClassifier, mmdeit.ImageClassificationInferencer):
        with pytest.raises(ValueError, match=f"'{type_name}'.*not a "
                           'registered type') as error:
            open_file(path)
        assert 'tampered.onnx' in str(error.value)
    assert not marker.exists()
