"""The paired t-test over seeds, against SciPy, and mean ± std."""
import numpy as np
import pytest

from mmdeit.experiments.statistics import mean_std, paired_t_test


@pytest.mark.parametrize('df', [1, 2, 3, 4, 7])
def test_paired_t_test_matches_scipy(df):
    stats = pytest.importorskip('scipy.stats')
    rng = np.random.default_rng(df)
    plain = rng.normal(80, 1, df + 1)
    hard = plain + rng.normal(1.0, 0.8, df + 1)
    gain, p = paired_t_test(list(hard), list(plain))
    reference = stats.ttest_rel(hard, plain)
    assert gain == pytest.approx(np.mean(hard - plain))
    assert p == pytest.approx(reference.pvalue, rel=1e-9)


def test_paired_t_test_one_degree_of_freedom_in_closed_form():
    # 10 and 11 points ahead: t = 10.5 / (0.7071 / sqrt(2)) = 21, and for
    # one degree of freedom p = 1 - 2 atan(t) / pi
    gain, p = paired_t_test([90.0, 92.0], [80.0, 81.0])
    assert gain == 10.5
    assert p == pytest.approx(1 - 2 * np.arctan(21) / np.pi)
    with pytest.raises(ValueError, match='two pairs or more'):
        paired_t_test([1.0], [2.0])


def test_mean_std_is_the_sample_standard_deviation():
    assert mean_std([71.5]) == '71.50'
    assert mean_std([80.0, 81.0]) == '80.50 ± 0.71'
