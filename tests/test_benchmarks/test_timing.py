"""Alternating rounds and the table made of them."""
import pytest

from mmdeit.benchmarks.hardware import PeakTracker
from mmdeit.benchmarks.timing import (Rounds, Timing, alternate,
                                      results_table)


def test_rounds_alternate_and_peaks_follow_each_round(monkeypatch):
    calls = []
    monkeypatch.setattr(PeakTracker, 'measure',
                        lambda self: calls.append(f'peak {self.dtype}'))
    runs = {name: (lambda name=name: calls.append(name)) for name in 'ab'}
    result = alternate(runs, rounds=2, warmup=1, shapes={(4, 4, 4): 1},
                       peak_dtypes=('fp32', 'bf16'))
    assert calls == ['a', 'b',
                     'a', 'b', 'peak torch.float32', 'peak torch.bfloat16',
                     'a', 'b', 'peak torch.float32', 'peak torch.bfloat16']
    assert [len(t) for t in result.timings.values()] == [2, 2]
    assert list(result.peaks) == ['fp32', 'bf16']


def test_table_rows_are_medians_ratios_and_fractions():
    peak = PeakTracker({}, None)
    peak.rates = [100., 80., 120.]  # median 100 GFLOP/s
    result = Rounds(
        timings={'ours': [Timing(2., 3.), Timing(1., 2.), Timing(4., 4.)],
                 'theirs': [Timing(3., 4.), Timing(3., 4.), Timing(5., 6.)]},
        peaks={'fp32': peak})
    table = results_table(result, images=8, flops=50e9,
                          references={'ours': 'theirs', 'theirs': 'theirs'})
    lines = table.splitlines()
    assert lines[0] == ('| contender | img/s | vs reference | % of fp32 '
                        'peak | vs reference (CPU time) | reference |')
    # median wall 2 s: 4 img/s, 1.5x theirs (3 s); 50 GFLOP in 2 s of a
    # 100 GFLOP/s peak: 25 %; CPU: 3 s against 4 s
    assert lines[2] == '| ours | 4.00 | 1.500x | 25.0% | 1.333x | theirs |'
    assert lines[3].startswith('| theirs | 2.67 | 1.000x | 16.7% |')
    assert result.median_seconds('ours', cpu=True) == pytest.approx(3.)
