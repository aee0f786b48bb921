"""The tables over seeds: mean ± std per head, the paired test against the
reference model, each seed's top-1."""
from mmdeit.experiments.tables import Row, per_seed_table, seeds_table

ROWS = [Row('teacher', 'teacher', ('-', ), class_token=False),
        Row('student', 'plain student', ('none', )),
        Row('soft', 'student, distilled', ('soft', )),
        Row('hard', 'student, distilled', ('hard', ))]


def run(top1, cls=None, dist=None):
    metrics = {'accuracy/top1': top1}
    if cls is not None:
        metrics.update({'accuracy/top1_cls': cls, 'accuracy/top1_dist': dist,
                        'accuracy/teacher_agreement': 90.0})
    return metrics


RESULTS = {'teacher': [run(90.0), run(92.0)],
           'student': [run(80.0), run(81.0)],
           'soft': [run(82.0, 81.0, 80.0), run(84.0, 83.0, 82.0)],
           'hard': [run(85.0, 84.0, 85.5), run(85.0, 84.0, 85.5)]}


def cells(table):
    return [[cell.strip() for cell in row.strip('|').split('|')]
            for row in table.splitlines()]


def test_seeds_table_means_over_seeds_with_the_paired_test():
    rows = cells(seeds_table(ROWS, RESULTS, ['distillation'], 'student',
                             'plain one'))
    assert rows[0] == ['model', 'distillation', 'top-1 (both heads)',
                       'class token', 'distillation token',
                       'agrees with teacher',
                       'vs plain one (paired t-test)']
    # mean ± sample standard deviation over the seeds; the last column the
    # paired difference to the plain student, with p = 1 - 2 atan(t) / pi
    # for one degree of freedom: teacher 10 and 11 points ahead, t = 21
    assert rows[2][1:] == ['-', '91.00 ± 1.41', '-', '-', '-',
                           '+10.50, p = 0.030']
    # a one-headed student's class token is its prediction
    assert rows[3][1:] == ['none', '80.50 ± 0.71', '80.50 ± 0.71', '-', '-',
                           '-']
    assert rows[4][1:] == ['soft', '83.00 ± 1.41', '82.00 ± 1.41',
                           '81.00 ± 1.41', '90.00 ± 0.00',
                           '+2.50, p = 0.126']  # 2 and 3 ahead, t = 5
    assert rows[5][3] == '84.00 ± 0.00'


def test_one_seed_has_no_comparison_and_columns_line_up():
    one = {key: runs[:1] for key, runs in RESULTS.items()}
    table = seeds_table(ROWS, one, ['distillation'], 'student')
    assert 'paired' not in table
    assert cells(table)[5][2:] == ['85.00', '84.00', '85.50', '90.00']
    assert len({len(line) for line in table.splitlines()}) == 1


def test_per_seed_table():
    rows = cells(per_seed_table(ROWS, RESULTS, [3, 4], ['distillation']))
    assert rows[0] == ['model', 'distillation', 'seed 3', 'seed 4']
    assert rows[2] == ['teacher', '-', '90.00', '92.00']
    assert rows[5] == ['student, distilled', 'hard', '85.00', '85.00']
