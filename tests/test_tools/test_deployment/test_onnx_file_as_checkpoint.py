"""An ONNX file given to tools/test.py as CHECKPOINT: refused as what it is,
and its metadata, even tampered with, runs nothing."""
import pytest
import torch

import mmdeit
from mmdeit.checkpoint import CheckpointError
from tests.helpers.repo import load_tool
from tests.helpers.tiny_runner import tiny_config

onnx = pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')


def test_tools_test_refuses_an_onnx_file_and_runs_nothing(tmp_path):
    cfg = tiny_config(tmp_path)
    model = mmdeit.get_model(cfg)
    path = tmp_path / 'model.onnx'
    torch.onnx.export(model.eval(), (torch.randn(1, 3, 16, 16), ), str(path),
                      dynamo=False)
    marker = tmp_path / 'ran'
    graph = onnx.load(str(path))
    entry = graph.metadata_props.add()
    entry.key = 'mmdeit_config'
    entry.value = f"_x = __import__('os').system('touch {marker}')\n"
    onnx.save(graph, str(path))
    with pytest.raises(CheckpointError, match='ONNX') as error:
        load_tool('tools/test.py').main(
            [cfg.filename, str(path), '--work-dir', str(tmp_path / 'work')])
    assert 'ImageClassificationInferencer' in str(error.value)
    assert not marker.exists()
