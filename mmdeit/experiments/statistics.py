"""Statistics over seeds: mean ± sample standard deviation, and the paired
t-test of one model against another run on the same seeds."""
import math
import statistics
from typing import Sequence, Tuple


def t_two_sided_p(t: float, df: int) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom, from
    the finite series of Abramowitz & Stegun 26.7.3-4 (integer ``df``)."""
    theta = math.atan(abs(t) / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2 == 0:
        term = total = 1.0
        for k in range(1, df // 2):
            term *= cos2 * (2 * k - 1) / (2 * k)
            total += term
        inside = math.sin(theta) * total
    else:
        term, total = 1.0, 0.0
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        inside = 2 / math.pi * (
            theta + math.sin(theta) * math.cos(theta) * total)
    return max(0.0, 1.0 - inside)


def paired_t_test(values: Sequence[float], reference: Sequence[float]
                  ) -> Tuple[float, float]:
    """Mean of ``values - reference`` (paired by position, i.e. by seed) and
    its two-sided p-value under a paired t-test; needs two pairs or more."""
    if len(values) != len(reference) or len(values) < 2:
        raise ValueError(f'a paired t-test needs two pairs or more, got '
                         f'{len(values)} values for {len(reference)} '
                         'references')
    diffs = [a - b for a, b in zip(values, reference)]
    mean = statistics.mean(diffs)
    spread = statistics.stdev(diffs)
    if spread == 0:
        return mean, 0.0 if mean else 1.0
    t = mean / (spread / math.sqrt(len(diffs)))
    return mean, t_two_sided_p(t, len(diffs) - 1)


def mean_std(values: Sequence[float]) -> str:
    """'mean' for one value, 'mean ± sample std' for more (2 decimals)."""
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'
