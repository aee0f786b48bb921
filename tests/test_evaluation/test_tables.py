"""Markdown tables of tools/test.py and accuracy_table.py."""
import pytest

from mmdeit.evaluation.tables import metrics_table, runs_table

DISTILLED = {'accuracy/top1': 80.5, 'accuracy/top5': 99.0,
             'accuracy/top1_cls': 79.25, 'accuracy/top5_cls': 98.5,
             'accuracy/top1_dist': 80.0, 'accuracy/top5_dist': 98.75,
             'accuracy/top1_teacher': 82.0, 'accuracy/top5_teacher': 99.5,
             'accuracy/teacher_agreement': 91.0}


def test_plain_metrics_are_metric_and_value():
    assert metrics_table({'accuracy/top1': 72.125, 'accuracy/top5': 91}) \
        == ('| metric | value |\n| --- | ---: |\n'
            '| accuracy/top1 | 72.12 |\n| accuracy/top5 | 91 |')


def test_distilled_metrics_get_one_column_per_head():
    assert metrics_table(DISTILLED).splitlines() == [
        '| metric | both heads | class token | distillation token | '
        'teacher |',
        '| --- | ---: | ---: | ---: | ---: |',
        '| accuracy/top1 | 80.50 | 79.25 | 80.00 | 82.00 |',
        '| accuracy/top5 | 99.00 | 98.50 | 98.75 | 99.50 |',
        '| accuracy/teacher_agreement | 91.00 | - | - | - |',
    ]


def test_runs_table_like_the_papers_table_3():
    records = [dict(name='plain', metrics={'accuracy/top1': 70.0}),
               dict(name='hard', metrics=DISTILLED)]
    assert runs_table(records, extra=['accuracy/top5']).splitlines() == [
        '| model | top-1 | class token | distillation token | '
        'agrees with teacher | accuracy/top5 |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        '| plain | 70.00 | - | - | - | - |',
        '| hard | 80.50 | 79.25 | 80.00 | 91.00 | 99.00 |',
    ]
    with pytest.raises(KeyError, match='result 0 has no accuracy/top1'):
        runs_table([{'loss': 1.0}])
    with pytest.raises(ValueError, match='1 names for 2 results'):
        runs_table(records, names=['a'])
