"""Contenders timed in alternating rounds, with the matmul peaks measured
between the rounds, and the table of the results.

On a machine shared with other work, every contender of a round meets the
same conditions only if the rounds alternate; the median over rounds then
compares. Besides wall time, the process's CPU time (all threads) is
recorded: it depends much less on other processes than the wall clock.
"""
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import torch

from .hardware import PeakTracker, Shape, fraction_of_peak

PEAK_DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}


@dataclass
class Timing:
    """One timed call: wall seconds and CPU seconds (all threads)."""
    wall: float
    cpu: float


def timed(run: Callable[[], object]) -> Timing:
    """Wall and CPU time of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


@dataclass
class Rounds:
    """The timings of each contender over the rounds, and the matmul peaks
    (GFLOP/s per dtype name) measured after each round."""
    timings: Dict[str, List[Timing]]
    peaks: Dict[str, PeakTracker] = field(default_factory=dict)

    def median_seconds(self, name: str, cpu: bool = False) -> float:
        return statistics.median(t.cpu if cpu else t.wall
                                 for t in self.timings[name])


def alternate(runs: Dict[str, Callable[[], object]], rounds: int,
              warmup: int = 1, shapes: Optional[Dict[Shape, int]] = None,
              peak_dtypes: tuple = ('fp32', )) -> Rounds:
    """Call every run ``warmup`` times, then ``rounds`` times in turn,
    measuring the matmul peak at ``shapes`` in each of ``peak_dtypes``
    after each round (none without ``shapes``)."""
    for _ in range(warmup):
        for run in runs.values():
            run()
    result = Rounds({name: [] for name in runs})
    if shapes:
        result.peaks = {name: PeakTracker(shapes, PEAK_DTYPES[name])
                        for name in peak_dtypes}
    for _ in range(rounds):
        for name, run in runs.items():
            result.timings[name].append(timed(run))
        for tracker in result.peaks.values():
            tracker.measure()
    return result


def results_table(result: Rounds, images: int, flops: float,
                  references: Dict[str, str]) -> str:
    """A Markdown table, one row per contender: img/s (median over rounds,
    wall), ratio to its reference contender (``references[name]``), the
    fraction of each measured matmul peak, and the ratio to the reference
    by CPU time."""
    peak_names = list(result.peaks)
    header = ['contender', 'img/s', 'vs reference'] + \
        [f'% of {name} peak' for name in peak_names] + \
        ['vs reference (CPU time)', 'reference']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    for name in result.timings:
        wall = result.median_seconds(name)
        cpu = result.median_seconds(name, cpu=True)
        reference = references.get(name)
        cells = [name, f'{images / wall:.2f}']
        cells.append(f'{result.median_seconds(reference) / wall:.3f}x'
                     if reference else '-')
        for peak in peak_names:
            share = fraction_of_peak(flops, wall, result.peaks[peak].median)
            cells.append(f'{share:.1%}')
        cells.append(
            f'{result.median_seconds(reference, cpu=True) / cpu:.3f}x'
            if reference else '-')
        cells.append(reference or '-')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def rounds_text(result: Rounds, images: int) -> str:
    """Per contender, img/s of each round, and each peak's rounds."""
    lines = [f'{name}: img/s per round '
             f'{[round(images / t.wall, 2) for t in timings]}'
             for name, timings in result.timings.items()]
    lines += [f'{name} matmul peak {tracker.median:.1f} GFLOP/s (rounds '
              f'{[round(rate, 1) for rate in tracker.rates]})'
              for name, tracker in result.peaks.items()]
    return '\n'.join(lines)
