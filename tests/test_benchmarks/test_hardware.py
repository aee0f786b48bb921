"""The matmul peak at a model's own shapes: the shapes recorded, their
backward products, and a rate measured per round."""
import pytest
import torch
from torch import nn

from mmdeit.benchmarks.hardware import (PeakTracker, describe_machine,
                                        format_shapes, fraction_of_peak,
                                        linear_shapes, matmul_peak,
                                        with_backward)


def test_linear_shapes_are_recorded_with_their_counts():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 8),
                          nn.Linear(8, 16))
    x = torch.randn(3, 5, 8)
    shapes = linear_shapes(model, lambda: model(x))
    assert shapes == {(15, 8, 16): 2, (15, 16, 8): 1}
    # the hooks are gone afterwards
    assert all(not m._forward_hooks for m in model.modules())


def test_backward_adds_the_input_and_weight_gradient_products():
    assert with_backward({(100, 8, 16): 2}) == {
        (100, 8, 16): 2,   # forward: (M, K) @ (K, N)
        (100, 16, 8): 2,   # grad input: (M, N) @ (N, K)
        (8, 100, 16): 2}   # grad weight: (K, M) @ (M, N)


def test_peak_tracker_measures_each_round_at_the_shapes_given():
    shapes = {(64, 32, 48): 3, (64, 48, 32): 1}
    tracker = PeakTracker(shapes, torch.float32)
    assert tracker.shapes is shapes
    rates = [tracker.measure() for _ in range(3)]
    assert tracker.rates == rates and all(rate > 0 for rate in rates)
    assert tracker.median == sorted(rates)[1]


def test_matmul_peak_weighs_each_shape_by_its_time(monkeypatch):
    rates = {(10, 10, 10): 1., (20, 10, 10): 4.}  # GFLOP/s
    monkeypatch.setattr('mmdeit.benchmarks.hardware.matmul_rate',
                        lambda shape, dtype, repeats: rates[shape])
    peak = matmul_peak({(10, 10, 10): 2, (20, 10, 10): 1})
    # 4000 FLOPs at 1 GFLOP/s and 4000 at 4: 8000 FLOPs in 5000 ns
    assert peak == pytest.approx(8000 / 5000)


def test_fraction_of_peak_and_shape_text():
    assert fraction_of_peak(6e9, 2., 10.) == pytest.approx(0.3)
    assert format_shapes({(2, 3, 4): 1, (10, 10, 10): 2}, limit=1) == \
        '10x10x10 (x2)'


def test_machine_line_names_flags_threads_and_load():
    line = describe_machine()
    for word in ('avx512_bf16=', 'amx_bf16=', 'threads', 'load average'):
        assert word in line


@pytest.mark.parametrize('grad', [False, True])
def test_a_deits_shapes_are_its_four_linear_layers_per_block_and_head(grad):
    import mmdeit
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', backbone=dict(
        arch=dict(embed_dims=64, num_layers=2, num_heads=2,
                  feedforward_channels=128), img_size=32, patch_size=8),
        head=dict(in_channels=64, num_classes=10))
    x = torch.randn(2, 3, 32, 32)
    # without a gradient the layers run oneDNN's fused kernels
    with torch.set_grad_enabled(grad):
        shapes = linear_shapes(model, lambda: model(x))
    rows = 2 * (16 + 1)
    assert shapes == {(rows, 64, 192): 2,   # qkv
                      (rows, 64, 64): 2,    # proj
                      (rows, 64, 128): 2,   # fc1 (with its GELU)
                      (rows, 128, 64): 2,   # fc2
                      (2, 64, 10): 1}       # head
