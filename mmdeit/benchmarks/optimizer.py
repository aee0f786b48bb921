"""Time of one optimizer update of a zoo model: mmengine's one param group
per parameter against the merged groups of
:class:`~mmdeit.engine.optimizers.ParamGroupsOptimWrapperConstructor`, each
with torch's per-parameter loop, ``foreach`` and ``fused`` AdamW.

The parameters get random gradients once; each contender's ``step()`` is
timed by wall clock and CPU time, the contenders alternating round by round
(reversed every other round), and the median over rounds is reported.
"""
import copy
import os
import statistics
import time
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.optim import build_optim_wrapper

from mmdeit.apis import build_model_from_config, load_config
from mmdeit.utils import register_all_modules

IMPLEMENTATIONS = {
    'loop': dict(foreach=False, fused=False),
    'foreach': dict(foreach=True, fused=False),
    'fused': dict(foreach=False, fused=True),
}
CONSTRUCTORS = {
    'one group per parameter (mmengine)': 'DefaultOptimWrapperConstructor',
    'merged groups': 'ParamGroupsOptimWrapperConstructor',
}
CPU_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')


def cpu_flags() -> str:
    """Which of :data:`CPU_FLAGS` /proc/cpuinfo lists, as ``flag=yes/no``."""
    try:
        with open('/proc/cpuinfo') as f:
            listed = set(f.read().split())
    except OSError:
        listed = set()
    return ' '.join(f'{flag}={"yes" if flag in listed else "no"}'
                    for flag in CPU_FLAGS)


def build_optimizers(config: str, implementations: Sequence[str],
                     constructors: Dict[str, str]) -> Dict[str, object]:
    """One copy of the config's model per contender, each with its
    optimizer built by the config's optim wrapper (its constructor and
    implementation replaced), and random gradients (the same for all)."""
    register_all_modules()
    cfg = load_config(config)
    cfg.model.pop('init_cfg', None)
    cfg.model.pop('teacher', None)
    if 'distillation' in cfg.model:
        cfg.model.distillation = dict(type='none')
    torch.manual_seed(0)
    model = build_model_from_config(cfg)
    for param in model.parameters():
        param.grad = torch.randn_like(param) * 1e-3
    contenders = {}
    for label, constructor in constructors.items():
        for name in implementations:
            wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
            wrapper_cfg['constructor'] = constructor
            wrapper_cfg['optimizer'].update(IMPLEMENTATIONS[name])
            twin = copy.deepcopy(model)
            for ours, theirs in zip(twin.parameters(), model.parameters()):
                ours.grad = theirs.grad.clone()
            wrapper = build_optim_wrapper(twin, wrapper_cfg)
            contenders[f'{label}, {name}'] = wrapper.optimizer
    return contenders


def time_steps(optimizers: Dict[str, object], rounds: int,
               steps: int) -> Dict[str, Dict[str, float]]:
    """Median wall and CPU ms of one ``step()`` of each optimizer, over
    ``rounds`` rounds of ``steps`` steps, after one warm-up step."""
    for optimizer in optimizers.values():
        optimizer.step()  # allocates the state
    wall: Dict[str, List[float]] = {name: [] for name in optimizers}
    cpu: Dict[str, List[float]] = {name: [] for name in optimizers}
    for index in range(rounds):
        order = list(optimizers) if index % 2 == 0 else list(optimizers)[::-1]
        for name in order:
            start_cpu, start = time.process_time(), time.perf_counter()
            for _ in range(steps):
                optimizers[name].step()
            wall[name].append((time.perf_counter() - start) / steps * 1e3)
            cpu[name].append((time.process_time() - start_cpu) / steps * 1e3)
    return {name: dict(wall=statistics.median(wall[name]),
                       cpu=statistics.median(cpu[name]),
                       groups=len(optimizers[name].param_groups))
            for name in optimizers}


def table(results: Dict[str, Dict[str, float]], baseline: str) -> str:
    """Markdown table of :func:`time_steps`' results, with each update's
    speed-up over ``baseline`` (by wall and by CPU time)."""
    base = results[baseline]
    lines = ['| optimizer | param groups | ms per update (wall) | ms CPU | '
             f'speed-up over "{baseline}" (wall / CPU) |',
             '|---|---|---|---|---|']
    for name, result in results.items():
        lines.append(f'| {name} | {result["groups"]} | {result["wall"]:.2f} '
                     f'| {result["cpu"]:.2f} | '
                     f'{base["wall"] / result["wall"]:.2f}x / '
                     f'{base["cpu"] / result["cpu"]:.2f}x |')
    return '\n'.join(lines)


def run(config: str = 'deit-small_pt-4xb256_in1k',
        implementations: Sequence[str] = ('loop', 'foreach', 'fused'),
        rounds: int = 5, steps: int = 5,
        threads: Optional[int] = None) -> str:
    """Time the updates and return the report (environment and table)."""
    if threads:
        torch.set_num_threads(threads)
    optimizers = build_optimizers(config, implementations, CONSTRUCTORS)
    results = time_steps(optimizers, rounds, steps)
    count = sum(p.numel() for group in next(iter(
        optimizers.values())).param_groups for p in group['params'])
    baseline = next(name for name in results if name.endswith('fused'))
    header = (f'AdamW update of {config} ({count / 1e6:.1f} M parameters), '
              f'median of {rounds} rounds of {steps} steps; torch '
              f'{torch.__version__}, {torch.get_num_threads()} threads; '
              f'CPU flags {cpu_flags()}; load average '
              f'{os.getloadavg()[0]:.1f}')
    return f'{header}\n\n{table(results, baseline)}'
