"""What the machine can do at most, for the model benchmarks to report
against: the CPU's flags, its load, and the matmul peak at a model's own
linear-layer shapes.

A model's *fraction of peak* is its matmul FLOP rate (every mm, addmm, bmm,
convolution and attention product that one forward, or a forward and
backward, performs, see :mod:`.flops`, divided by the measured time) over
the rate ``torch.mm`` reaches at the model's linear shapes, in the same
dtype, on the same threads, measured in the same run.
"""
import os
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmdeit.utils.cpu import matmul_flags

Shape = Tuple[int, int, int]  # (M, K, N): (M, K) @ (K, N)
# M above this is timed at this M: enough rows to saturate the units
MAX_TIMED_ROWS = 8192


def load_average() -> Optional[float]:
    """The one-minute load average (None where the OS has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def describe_machine() -> str:
    """One line: CPU flags, torch's CPU capability, threads, load, torch."""
    flags = ' '.join(f'{flag}={"yes" if has else "no"}'
                     for flag, has in matmul_flags().items())
    load = load_average()
    load_text = 'unknown' if load is None else f'{load:.2f}'
    return (f'cpu flags: {flags}; torch capability '
            f'{torch.backends.cpu.get_cpu_capability()}, '
            f'{torch.get_num_threads()} threads, {os.cpu_count()} cores, '
            f'load average {load_text}, torch {torch.__version__}')


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


def matmul_rate(shape: Shape, dtype: torch.dtype = torch.float32,
                repeats: int = 3) -> float:
    """GFLOP/s of ``torch.mm`` at ``shape`` (wall time): the median of
    ``repeats`` timings after one warm-up."""
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
    M above :data:`MAX_TIMED_ROWS` are timed at that M."""
    flops = seconds = 0.
    for (m, k, n), count in shapes.items():
        timed = (min(m, MAX_TIMED_ROWS), k, n)
        work = 2. * m * k * n * count
        flops += work
        seconds += work / (matmul_rate(timed, dtype, repeats) * 1e9)
    return flops / seconds / 1e9


class PeakTracker:
    """The matmul peak in ``dtype``, measured once per benchmark round
    (between the rounds of the models), so that it sees the same machine
    state; reports the median."""

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
    """Achieved matmul rate (``flops`` in ``seconds``) over the peak."""
    return flops / seconds / 1e9 / peak_gflops


def format_shapes(shapes: Dict[Shape, int], limit: Optional[int] = 6
                  ) -> str:
    """The ``limit`` shapes with most FLOPs, as 'MxKxN (xcount)'."""
    items: Sequence = sorted(shapes.items(), key=lambda kv: -kv[0][0] *
                             kv[0][1] * kv[0][2] * kv[1])[:limit]
    return ', '.join(f'{m}x{k}x{n} (x{count})'
                     for (m, k, n), count in items)
