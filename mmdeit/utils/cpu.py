"""What the CPU offers: the instruction-set flags that decide matmul speed,
and whether it computes bfloat16 natively."""
from typing import Dict, FrozenSet, Iterable, Optional

# the flags the benchmarks report, in this order
MATMUL_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')
# either one gives oneDNN native bfloat16 matrix products (AVX512-BF16 dot
# products, or AMX tiles); without them bfloat16 runs on a slow fallback
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


def read_cpu_flags(path: str = '/proc/cpuinfo') -> FrozenSet[str]:
    """Every flag of the ``flags`` lines of ``path``; empty where it cannot
    be read (not Linux)."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return frozenset()
    flags = set()
    for line in lines:
        key, _, value = line.partition(':')
        if key.strip() == 'flags':
            flags.update(value.split())
    return frozenset(flags)


def matmul_flags(flags: Optional[Iterable[str]] = None) -> Dict[str, bool]:
    """{flag: present} for :data:`MATMUL_FLAGS` (``flags``: default this
    machine's)."""
    flags = read_cpu_flags() if flags is None else set(flags)
    return {flag: flag in flags for flag in MATMUL_FLAGS}


def cpu_has_bf16(flags: Optional[Iterable[str]] = None) -> bool:
    """Whether the CPU (``flags``: default this machine's) has native
    bfloat16 matrix units: AVX512-BF16 or AMX-BF16."""
    flags = read_cpu_flags() if flags is None else set(flags)
    return any(flag in flags for flag in BF16_FLAGS)
