import pytest
import torch

from mmdeit.evaluation import DumpPredictions, read_predictions


def test_predictions_round_trip_through_a_safe_file(tmp_path):
    out = tmp_path / 'pred.pth'
    metric = DumpPredictions(str(out))
    samples = [dict(gt_label=torch.tensor([i % 3]),
                    pred_score=torch.rand(3), pred_score_cls=torch.rand(3),
                    pred_score_dist=torch.rand(3), img_path=f'{i}.png',
                    sample_idx=i, ori_shape=(28, 28)) for i in range(5)]
    metric.process(None, samples[:2])
    metric.process(None, samples[2:])
    assert metric.compute_metrics(metric.results) == {}

    columns = read_predictions(str(out))
    assert set(columns) == {'gt_label', 'pred_score', 'pred_score_cls',
                            'pred_score_dist', 'img_path', 'sample_idx'}
    assert columns['gt_label'].tolist() == [0, 1, 2, 0, 1]
    assert torch.equal(columns['pred_score_dist'][3],
                       samples[3]['pred_score_dist'])
    assert columns['img_path'][4] == '4.png'


def test_other_files_are_named(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {}}, path)
    with pytest.raises(ValueError, match='weights.pth is not a predictions'):
        read_predictions(str(path))
