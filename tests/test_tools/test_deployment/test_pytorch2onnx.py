"""tools/deployment/pytorch2onnx.py on a reduced config: the checkpoint's
weights reach the ONNX file, and onnxruntime agrees with PyTorch."""

import pytest
import torch

import mmdeit
from mmdeit.apis.onnx_model import OnnxClassifier
from tests.helpers.repo import ROOT, load_tool

pytest.importorskip('onnxruntime')
pytorch2onnx = load_tool('tools/deployment/pytorch2onnx.py')

CONFIG = '''
_base_ = ['{base}']
model = dict(backbone=dict(arch=dict(_delete_=True, embed_dims=32,
                                     num_layers=1, num_heads=2,
                                     feedforward_channels=64)),
             head=dict(in_channels=32))
'''


@pytest.mark.parametrize('name', ['deit-tiny_pt-4xb256_in1k',
                                  'deit-tiny-distilled_pt-4xb256_in1k'])
def test_export_uses_the_checkpoint_and_matches_pytorch(name, tmp_path,
                                                        capsys):
    config = tmp_path / 'tiny.py'
    config.write_text(CONFIG.format(base=ROOT / 'configs' / 'deit' /
                                    f'{name}.py'))
    torch.manual_seed(1)
    trained = mmdeit.get_model(str(config))
    for param in trained.head.parameters():
        param.data.normal_(0, 1)
    checkpoint = tmp_path / 'weights.pth'
    torch.save({'state_dict': trained.state_dict()}, checkpoint)
    out = str(tmp_path / 'model.onnx')

    diffs = pytorch2onnx.main([str(config), str(checkpoint), out])
    assert max(diffs.values()) <= 1e-4
    printed = capsys.readouterr().out
    assert 'batch dynamic' in printed and 'batch 2, logits' in printed

    inputs = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = trained(inputs)
    assert (OnnxClassifier(out)(inputs) - expected).abs().max() <= 1e-4


def test_both_heads_of_a_plain_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match='one head'):
        pytorch2onnx.main(['deit-tiny_pt-4xb256_in1k', 'none',
                           str(tmp_path / 'x.onnx'), '--both-heads'])


def test_fixed_batch(tmp_path, capsys):
    config = tmp_path / 'tiny.py'
    config.write_text(CONFIG.format(
        base=ROOT / 'configs/deit/deit-tiny_pt-4xb256_in1k.py'))
    out = str(tmp_path / 'fixed.onnx')
    pytorch2onnx.main([str(config), 'none', out, '--fixed-batch',
                       '--batch-size', '2'])
    assert 'batch 2, logits' in capsys.readouterr().out
    assert OnnxClassifier(out).fixed_batch == 2
