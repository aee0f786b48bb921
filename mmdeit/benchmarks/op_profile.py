"""Where the time of a step goes: torch.profiler's operators, by self CPU
time, with the matrix products summed apart from the rest."""
from typing import Callable

from torch.profiler import ProfilerActivity, profile

# operators whose time is matrix-product work (the part the peak bounds)
MATMUL_OPS = (
    'aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm',
    'aten::_addmm_activation', 'aten::mkldnn_convolution',
    'aten::_scaled_dot_product_flash_attention_for_cpu',
    'aten::_scaled_dot_product_flash_attention_for_cpu_backward')


def profile_table(run: Callable[[], object], rows: int = 12) -> str:
    """The ``rows`` operators with most self CPU time in ``run()``, and
    the share of matmul-like operators in the total."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    # onnxruntime's own kernels are invisible to torch's profiler
    events = [e for e in prof.key_averages() if e.key.startswith('aten::')]
    if not events:
        return 'no torch operators ran'
    total = sum(e.self_cpu_time_total for e in events)
    matmul = sum(e.self_cpu_time_total for e in events
                 if e.key in MATMUL_OPS)
    lines = [f'{"operator":<58}{"self ms":>10}{"share":>8}']
    for event in sorted(events, key=lambda e: -e.self_cpu_time_total)[:rows]:
        lines.append(f'{event.key[:57]:<58}'
                     f'{event.self_cpu_time_total / 1e3:>10.1f}'
                     f'{event.self_cpu_time_total / total:>8.1%}')
    lines.append(f'matrix products and attention: {matmul / total:.1%} of '
                 f'{total / 1e3:.0f} ms self CPU time')
    return '\n'.join(lines)
