"""The machine a measurement ran on, as the figures in the docs state it:
CPU model, cores, the instruction sets that decide matmul speed, load."""
import os
from typing import Dict

# The instruction sets that decide matmul speed on x86 CPUs.
CPU_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')


def _cpuinfo() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            return f.read()
    except OSError:
        return ''


def cpu_flags() -> Dict[str, bool]:
    """Which of :data:`CPU_FLAGS` the CPU has (all False where
    /proc/cpuinfo cannot be read)."""
    words = set(_cpuinfo().split())
    return {flag: flag in words for flag in CPU_FLAGS}


def cpu_model() -> str:
    """The CPU's model name, or 'unknown CPU'."""
    for line in _cpuinfo().splitlines():
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return 'unknown CPU'


def machine_summary() -> dict:
    """Model, cores, flags present and the 1-minute load average."""
    return dict(cpu=cpu_model(), cores=os.cpu_count(),
                flags=[flag for flag, has in cpu_flags().items() if has],
                load_average=round(os.getloadavg()[0], 2))
