import pytest
import torch

from mmdeit.registry import METRICS

# 4 images, 3 classes, labels 0, 1, 2, 0. Each row: best class first.
LABELS = [0, 1, 2, 0]
AVERAGED = [[.7, .2, .1], [.2, .7, .1], [.1, .2, .7], [.2, .7, .1]]  # 3/4
CLS = [[.7, .2, .1], [.7, .2, .1], [.1, .2, .7], [.2, .1, .7]]  # 2/4
DIST = [[.7, .2, .1], [.2, .7, .1], [.2, .7, .1], [.2, .7, .1]]  # 2/4
TEACHER = [[.7, .2, .1], [.2, .7, .1], [.1, .2, .7], [.7, .2, .1]]  # 4/4


def samples(with_teacher: bool):
    records = []
    for i, label in enumerate(LABELS):
        record = dict(gt_label=torch.tensor([label]),
                      pred_score=torch.tensor(AVERAGED[i]),
                      pred_score_cls=torch.tensor(CLS[i]),
                      pred_score_dist=torch.tensor(DIST[i]))
        if with_teacher:
            record['pred_score_teacher'] = torch.tensor(TEACHER[i])
        records.append(record)
    return records


def test_per_head_teacher_and_agreement_by_hand():
    metric = METRICS.build(dict(type='DistillationAccuracy', topk=(1, 2)))
    metric.process(None, samples(with_teacher=True))
    result = metric.evaluate(4)
    assert result['accuracy/top1'] == pytest.approx(75.0)
    assert result['accuracy/top1_cls'] == pytest.approx(50.0)
    assert result['accuracy/top1_dist'] == pytest.approx(50.0)
    assert result['accuracy/top1_teacher'] == pytest.approx(100.0)
    # averaged heads vs teacher: the last image differs (1 vs 0)
    assert result['accuracy/teacher_agreement'] == pytest.approx(75.0)
    # top-2: the averaged heads miss nothing (image 4: label 0 is 2nd)
    assert result['accuracy/top2'] == pytest.approx(100.0)


def test_without_teacher_no_teacher_metrics():
    metric = METRICS.build(dict(type='DistillationAccuracy', topk=1))
    metric.process(None, samples(with_teacher=False))
    assert set(metric.evaluate(4)) == {
        'accuracy/top1', 'accuracy/top1_cls', 'accuracy/top1_dist'}
