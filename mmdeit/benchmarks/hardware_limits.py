"""What the machine can do at most, for the model benchmarks to report
against: the CPU's instruction-set flags and the matmul peak at a model's own
linear-layer shapes.

A model's *fraction of peak* is its matmul FLOP rate (every mm, addmm, bmm,
convolution and attention product that one forward, or a forward and
backward, performs, as ``torch.utils.flop_counter`` counts them, divided by
the measured time) over the rate ``torch.mm`` reaches at the model's linear
shapes, in the same dtype, on the same threads, measured in the same run.
"""
import os
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn
from torch.utils.flop_counter import (FlopCounterMode,
                                     sdpa_backward_flop_count,
                                     sdpa_flop_count)

FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')
Shape = Tuple[int, int, int]  # (M, K, N): (M, K) @ (K, N)


def cpu_flags() -> Dict[str, bool]:
    """Which of the instruction sets that decide matmul speed the CPU has
    (from /proc/cpuinfo; all False where it cannot be read)."""
    try:
        with open('/proc/cpuinfo') as f:
            words = set(f.read().split())
    except OSError:
        words = set()
    return {flag: flag in words for flag in FLAGS}


def describe_machine() -> str:
    """One line: CPU flags, torch's CPU capability, threads, versions."""
    flags = ' '.join(f'{flag}={"yes" if has else "no"}'
                     for flag, has in cpu_flags().items())
    return (f'cpu flags: {flags}; torch capability '
            f'{torch.backends.cpu.get_cpu_capability()}, '
            f'{torch.get_num_threads()} threads, {os.cpu_count()} cores, '
            f'torch {torch.__version__}')


def linear_shapes(model: nn.Module, run: Callable[[], object]
                  ) -> Dict[Shape, int]:
    """The (M, K, N) of every ``nn.Linear`` call that ``run()`` makes on
    ``model``, with how often each occurs."""
    shapes: Dict[Shape, int] = {}

    def record(module, args, _output):
        x = args[0]
        shape = (x.numel() // x.shape[-1], module.in_features,
                 module.out_features)
        shapes[shape] = shapes.get(shape, 0) + 1

    handles = [m.register_forward_hook(record) for m in model.modules()
               if isinstance(m, nn.Linear)]
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return shapes


def with_backward(shapes: Dict[Shape, int]) -> Dict[Shape, int]:
    """Forward shapes plus the two products of each one's backward:
    grad_input (M, N) @ (N, K) and grad_weight (K, M) @ (M, N)."""
    out: Dict[Shape, int] = {}
    for (m, k, n), count in shapes.items():
        for shape in ((m, k, n), (m, n, k), (k, m, n)):
            out[shape] = out.get(shape, 0) + count
    return out


def _cpu_attention(query, key, value, *args, **kwargs) -> int:
    return sdpa_flop_count(query.shape, key.shape, value.shape)


def _cpu_attention_backward(grad_out, query, key, value, *args,
                            **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out.shape, query.shape, key.shape,
                                    value.shape)


# torch's counter knows the CUDA attention kernels, not the CPU one
_cpu_attention._get_raw = True
_cpu_attention_backward._get_raw = True
CPU_ATTENTION_FLOPS = {
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu:
    _cpu_attention,
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward:
    _cpu_attention_backward,
}


def count_flops(run: Callable[[], object]) -> int:
    """FLOPs (2 x multiply-accumulates) of the matrix products, convolutions
    and attention that ``run()`` performs, backward included if it runs one."""
    counter = FlopCounterMode(display=False,
                              custom_mapping=CPU_ATTENTION_FLOPS)
    with counter:
        run()
    return counter.get_total_flops()


def matmul_rate(shape: Shape, dtype: torch.dtype = torch.float32,
                repeats: int = 3) -> float:
    """GFLOP/s of ``torch.mm`` at ``shape``: the median of ``repeats``
    timings after one warm-up."""
    m, k, n = shape
    a = torch.randn(m, k).to(dtype)
    b = torch.randn(k, n).to(dtype)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * m * k * n / statistics.median(times) / 1e9


def matmul_peak(shapes: Dict[Shape, int], dtype: torch.dtype = torch.float32,
                repeats: int = 3) -> float:
    """The matmul limit at a model's linear shapes, GFLOP/s: the rate of a
    model whose every linear layer ran as fast as a bare ``torch.mm`` of its
    shape (total FLOPs over total time, weighted by occurrence). Shapes with
    M above 8192 are timed at M = 8192, which is enough to saturate."""
    flops = seconds = 0.
    for (m, k, n), count in shapes.items():
        timed = (min(m, 8192), k, n)
        work = 2. * m * k * n * count
        flops += work
        seconds += work / (matmul_rate(timed, dtype, repeats) * 1e9)
    return flops / seconds / 1e9


class PeakTracker:
    """The matmul peak measured once per benchmark round (between the
    rounds of the models), so that it sees the same machine state; reports
    the median."""

    def __init__(self, shapes: Dict[Shape, int],
                 dtype: torch.dtype = torch.float32):
        self.shapes, self.dtype = shapes, dtype
        self.rates: List[float] = []

    def measure(self) -> float:
        self.rates.append(matmul_peak(self.shapes, self.dtype))
        return self.rates[-1]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def fraction_of_peak(flops: float, seconds: float, peak_gflops: float
                     ) -> float:
    """Achieved matmul rate over the peak."""
    return flops / seconds / 1e9 / peak_gflops


def format_shapes(shapes: Dict[Shape, int], limit: Optional[int] = 6
                  ) -> str:
    items: Sequence = sorted(shapes.items(), key=lambda kv: -kv[0][0] *
                             kv[0][1] * kv[0][2] * kv[1])[:limit]
    return ', '.join(f'{m}x{k}x{n} (x{count})'
                     for (m, k, n), count in items)
