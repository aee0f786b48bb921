"""bf16 inference: 'auto' resolved from the CPU's flags, the backbone's
weights cast once, float32 in and out, logits close to float32's."""
import pytest
import torch

import mmdeit
from mmdeit.models.utils.precision import (resolve_precision,
                                           set_inference_precision)
from mmdeit.utils.cpu import cpu_has_bf16, read_cpu_flags

TINY = dict(backbone=dict(arch=dict(embed_dims=64, num_layers=2, num_heads=2,
                                    feedforward_channels=128),
                          img_size=32, patch_size=8),
            head=dict(in_channels=64, num_classes=10))
XEON_FLAGS = 'fpu sse avx2 avx512f avx512_bf16 amx_bf16 amx_tile'
EPYC_FLAGS = 'fpu sse avx2 fma'


def test_cpu_flags_are_read_from_the_flags_lines(tmp_path):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text(f'processor\t: 0\nflags\t\t: {EPYC_FLAGS}\n'
                       f'bugs\t\t: spectre_v1\n\nprocessor\t: 1\n'
                       f'flags\t\t: {EPYC_FLAGS} avx512_bf16\n')
    flags = read_cpu_flags(str(cpuinfo))
    assert {'avx2', 'fma', 'avx512_bf16'} <= flags
    assert 'spectre_v1' not in flags
    assert read_cpu_flags(str(tmp_path / 'missing')) == frozenset()


@pytest.mark.parametrize('flags, expected', [
    (XEON_FLAGS, 'bf16'), ('avx2 avx512f avx512_bf16', 'bf16'),
    ('avx2 amx_bf16 amx_tile', 'bf16'), (EPYC_FLAGS, 'fp32'),
    ('avx2 avx512f', 'fp32'), ('', 'fp32')])
def test_auto_is_bf16_where_the_cpu_has_bf16_units(flags, expected):
    assert cpu_has_bf16(flags.split()) == (expected == 'bf16')
    assert resolve_precision('auto', 'cpu', flags.split()) == expected
    # explicit choices are kept whatever the CPU
    assert resolve_precision('bf16', 'cpu', flags.split()) == 'bf16'
    assert resolve_precision('fp32', 'cpu', flags.split()) == 'fp32'


def test_auto_on_cuda_asks_the_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: True)
    assert resolve_precision('auto', 'cuda:0', EPYC_FLAGS.split()) == 'bf16'
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: False)
    assert resolve_precision('auto', 'cuda', XEON_FLAGS.split()) == 'fp32'


@pytest.mark.parametrize('bad', ['fp16', 'bfloat16', 'BF16', None])
def test_an_unknown_precision_is_named(bad):
    with pytest.raises(ValueError, match=f'precision "{bad}" is not one of '
                       'fp32, bf16, auto'):
        resolve_precision(bad)
    with pytest.raises(ValueError, match=f'precision "{bad}"'):
        mmdeit.get_model('deit-tiny_pt-4xb256_in1k', precision=bad, **TINY)


def test_set_inference_precision_wants_auto_resolved_first():
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', **TINY)
    with pytest.raises(ValueError, match='resolve "auto" first'):
        set_inference_precision(model, 'auto')


def confident_pair(name: str):
    """(fp32 model, bf16 model) with the same random weights, the head
    scaled up so that the classes are far from ties."""
    torch.manual_seed(0)
    fp32 = mmdeit.get_model(name, **TINY)
    with torch.no_grad():
        for fc in (fp32.head.fc, getattr(fp32.head, 'fc_dist', None)):
            if fc is not None:
                fc.weight.mul_(20)
    bf16 = mmdeit.get_model(name, **TINY)
    bf16.load_state_dict(fp32.state_dict())
    return fp32, set_inference_precision(bf16, 'bf16')


@pytest.mark.parametrize('name', ['deit-tiny_pt-4xb256_in1k',
                                  'deit-tiny-distilled_pt-4xb256_in1k'])
def test_bf16_logits_are_float32_and_close_to_fp32(name):
    fp32, bf16 = confident_pair(name)
    assert all(p.dtype == torch.bfloat16 for p in bf16.backbone.parameters())
    assert all(p.dtype == torch.float32 for p in bf16.head.parameters())
    x = torch.randn(64, 3, 32, 32)
    with torch.no_grad():
        expected, got = fp32(x), bf16(x)
    assert got.dtype == torch.float32
    scale = expected.abs().max()
    error = (got - expected).abs().max()
    # bfloat16 keeps 8 significant bits: a few units of 2^-8 of the scale
    assert error < 0.03 * scale
    assert error > 0  # really computed in bfloat16
    top2 = expected.topk(2, dim=1).values
    clear = (top2[:, 0] - top2[:, 1]) > 2 * error
    assert clear.sum() > 32
    assert torch.equal(got.argmax(1)[clear], expected.argmax(1)[clear])


def test_bf16_predict_and_both_heads_take_and_give_float32():
    fp32, bf16 = confident_pair('deit-tiny-distilled_pt-4xb256_in1k')
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        feats = bf16.extract_feat(x)
        cls_logits, dist_logits = bf16.head.forward_both(feats)
        samples = bf16.predict(x)
        expected = fp32.predict(x)
    assert cls_logits.dtype == dist_logits.dtype == torch.float32
    for sample, reference in zip(samples, expected):
        assert sample.pred_score.dtype == torch.float32
        torch.testing.assert_close(sample.pred_score, reference.pred_score,
                                   rtol=0, atol=0.05)


def count_copies(run) -> int:
    """How many dtype conversions (``aten._to_copy``) ``run()`` makes."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        copies = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func is torch.ops.aten._to_copy.default:
                Count.copies += 1
            return func(*args, **(kwargs or {}))

    with Count():
        run()
    return Count.copies


def test_bf16_casts_the_weights_once_where_autocast_casts_each_call():
    fp32, bf16 = confident_pair('deit-tiny_pt-4xb256_in1k')
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        # the images in, the class token out
        assert count_copies(lambda: bf16(x)) == 2
        with torch.autocast('cpu', dtype=torch.bfloat16):
            per_call = count_copies(lambda: fp32(x))
    # autocast: every weight matrix of the backbone and the head, every call
    assert per_call >= 2 * 4 + 1
