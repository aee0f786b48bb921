import pytest
import torch

from mmdeit.visualization import (confusion_figure, confusion_matrix,
                                  head_matrices)


def test_counts_rows_true_columns_predicted():
    labels = torch.tensor([0, 0, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 1, 2, 0, 2])
    expected = torch.tensor([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert torch.equal(confusion_matrix(labels, predicted, 3), expected)
    with pytest.raises(ValueError, match='label 2 is out of range'):
        confusion_matrix(labels, predicted, 2)


def test_one_matrix_per_head_and_titles_give_accuracy():
    labels = torch.tensor([0, 1, 1])
    both = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    dist = torch.tensor([[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]])
    matrices = head_matrices(dict(gt_label=labels, pred_score=both,
                                  pred_score_cls=both, pred_score_dist=dist))
    assert list(matrices) == ['both heads', 'class token',
                              'distillation token']
    assert torch.equal(matrices['distillation token'],
                       torch.tensor([[0, 1], [0, 2]]))
    fig = confusion_figure(matrices, ['cat', 'dog'])
    titles = [axis.get_title() for axis in fig.axes[:3]]
    assert titles == ['both heads: top-1 66.67 %',
                      'class token: top-1 66.67 %',
                      'distillation token: top-1 66.67 %']
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == \
        ['cat', 'dog']
