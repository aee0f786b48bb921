import pytest
import torch
from mmengine.evaluator import Evaluator
from timm.utils import accuracy as timm_accuracy

from mmdeit.evaluation.metrics import Accuracy, topk_accuracy
from mmdeit.registry import METRICS
from mmdeit.structures import DataSample


def samples(scores, labels):
    return [dict(pred_score=score, gt_label=torch.tensor([label]))
            for score, label in zip(scores, labels)]


def evaluate(metric, scores, labels):
    metric.process(None, samples(scores, labels))
    return metric.evaluate(len(labels))


def test_top1_top5_by_hand():
    scores = torch.tensor([
        [.9, .1, 0, 0, 0, 0, 0],  # label 0: top-1
        [.5, .4, .3, .2, .1, 0, 0],  # label 4: 5th best
        [.5, .4, .3, .2, .1, .05, 0],  # label 5: 6th best, missed
        [.1, .2, .3, .4, .5, .6, .7],  # label 5: 2nd best
    ])
    metric = METRICS.build(dict(type='Accuracy'))
    result = evaluate(metric, scores, [0, 4, 5, 5])
    assert result == {'accuracy/top1': 25.0, 'accuracy/top5': 75.0}


def test_matches_timm():
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(64, 10, generator=generator)
    labels = torch.randint(0, 10, (64, ), generator=generator)
    result = evaluate(Accuracy(topk=(1, 2, 5)), scores, labels.tolist())
    ref = timm_accuracy(scores, labels, topk=(1, 2, 5))
    for k, value in zip((1, 2, 5), ref):
        assert result[f'accuracy/top{k}'] == pytest.approx(value.item())
    assert 0 < result['accuracy/top1'] < result['accuracy/top5'] < 100


def test_topk_beyond_the_classes_counts_all():
    scores = torch.tensor([[.2, .5, .3], [.6, .3, .1]])
    assert topk_accuracy(scores, torch.tensor([0, 2]), (1, 3, 5)) == [
        0., 100., 100.]


def test_reads_data_samples_through_mmengine_evaluator():
    evaluator = Evaluator(Accuracy(topk=1))
    batch = [DataSample().set_pred_score(torch.tensor([.1, .9]))
             .set_gt_label(1),
             DataSample().set_pred_score(torch.tensor([.8, .2]))
             .set_gt_label(1)]
    evaluator.process(data_samples=batch)
    assert evaluator.evaluate(2) == {'accuracy/top1': 50.0}


def test_scores_of_extends_to_more_heads():
    """The hook a distillation metric builds on: one score per head."""

    class PerHead(Accuracy):

        def scores_of(self, sample):
            return dict(super().scores_of(sample), _cls=sample['cls'])

    data = samples(torch.eye(2), [0, 1])
    data[0]['cls'] = torch.tensor([0., 1.])
    data[1]['cls'] = torch.tensor([0., 1.])
    metric = PerHead(topk=1)
    metric.process(None, data)
    assert metric.evaluate(2) == {'accuracy/top1': 100.0,
                                  'accuracy/top1_cls': 50.0}


def test_rejects_bad_topk_and_labels():
    with pytest.raises(ValueError, match='topk'):
        Accuracy(topk=(0, 1))
    with pytest.raises(ValueError, match='one gt_label'):
        Accuracy().process(None, [dict(pred_score=torch.ones(3),
                                       gt_label=torch.tensor([0, 1]))])


@pytest.mark.parametrize('classes, warned', [(3, True), (5, True),
                                             (6, False)])
def test_top5_of_at_most_5_classes_is_flagged(monkeypatch, classes, warned):
    """top-k of k classes or fewer counts every sample as correct."""
    logged = []
    monkeypatch.setattr('mmdeit.evaluation.metrics.accuracy.print_log',
                        lambda message, **kwargs: logged.append(message))
    scores = torch.rand(4, classes)
    result = evaluate(METRICS.build(dict(type='Accuracy')), scores,
                      [0, 1, 2, 0])
    assert (result['accuracy/top5'] == 100.0) or not warned
    expected = [f'top-5 accuracy of {classes} classes is 100% by definition']
    assert logged == (expected if warned else [])
