"""ImageNet-ReaL accuracy against timm's RealLabelsImagenet on the same
predictions."""
import json
import random

import pytest
import torch
from timm.data.real_labels import RealLabelsImagenet

from mmdeit.evaluation.metrics import ReaLAccuracy
from mmdeit.registry import METRICS

NUM_IMAGES, NUM_CLASSES = 60, 12


def val_name(index: int, extension: str = 'JPEG') -> str:
    return f'ILSVRC2012_val_{index + 1:08d}.{extension}'


@pytest.fixture
def real_json(tmp_path):
    """Label lists as real.json has them: mostly one label, some several,
    some none (left out)."""
    rng = random.Random(0)
    labels = []
    for index in range(NUM_IMAGES):
        count = rng.choice([0, 1, 1, 1, 2, 3])
        labels.append(sorted(rng.sample(range(NUM_CLASSES), count)))
    path = tmp_path / 'real.json'
    path.write_text(json.dumps(labels))
    return path, labels


def scores():
    return torch.randn(NUM_IMAGES, NUM_CLASSES,
                       generator=torch.Generator().manual_seed(1))


def evaluate(metric, samples, batch=7):
    for start in range(0, len(samples), batch):
        metric.process(None, samples[start:start + batch])
    return metric.evaluate(len(samples))


def test_equals_timm(real_json):
    path, labels = real_json
    assert any(not row for row in labels) and any(len(row) > 1
                                                  for row in labels)
    logits = scores()
    names = [f'/data/imagenet/val/{val_name(i)}' for i in range(NUM_IMAGES)]
    reference = RealLabelsImagenet(names, real_json=str(path),
                                   topk=(1, 2, 5))
    for start in range(0, NUM_IMAGES, 8):
        reference.add_result(logits[start:start + 8])
    expected = reference.get_accuracy()

    metric = METRICS.build(dict(type='ReaLAccuracy', real_json=str(path),
                                topk=(1, 2, 5)))
    # another order, the file names in class folders: the name decides
    order = list(range(NUM_IMAGES))
    random.Random(2).shuffle(order)
    samples = [dict(pred_score=logits[i].softmax(0),
                    img_path=f'val/n0144{i % 3}/{val_name(i)}')
               for i in order]
    metrics = evaluate(metric, samples)
    assert set(metrics) == {'real/top1', 'real/top2', 'real/top5'}
    for k in (1, 2, 5):
        assert metrics[f'real/top{k}'] == pytest.approx(expected[k],
                                                        abs=1e-9)


def test_written_out_on_three_images(tmp_path):
    """Hit = any top-k class among the labels; no label = not counted."""
    path = tmp_path / 'real.json'
    path.write_text(json.dumps([[2], [0, 1], [], [3]]))
    metric = ReaLAccuracy(str(path), topk=(1, 2))
    samples = [
        dict(pred_score=torch.tensor([.1, .2, .6, .1]),
             img_path=val_name(0, 'png')),  # top-1 2: hit
        dict(pred_score=torch.tensor([.1, .5, .3, .1]),
             img_path=val_name(1)),  # top-1 1: hit (second label)
        dict(pred_score=torch.tensor([.9, .0, .0, .1]),
             img_path=val_name(2)),  # no label: left out
        dict(pred_score=torch.tensor([.5, .0, .3, .2]),
             img_path=val_name(3)),  # 3 is third: top-1 and top-2 miss
    ]
    metrics = evaluate(metric, samples)
    assert metrics == {'real/top1': pytest.approx(200 / 3),
                       'real/top2': pytest.approx(200 / 3)}


def test_errors_name_the_file(tmp_path):
    path = tmp_path / 'real.json'
    path.write_text(json.dumps({'a': 1}))
    with pytest.raises(ValueError, match='real.json'):
        ReaLAccuracy(str(path))
    path.write_text(json.dumps([[1]]))
    metric = ReaLAccuracy(str(path))
    with pytest.raises(ValueError, match='cat.jpg'):
        metric.process(None, [dict(pred_score=torch.ones(3),
                                   img_path='val/cat.jpg')])
    with pytest.raises(ValueError, match='validation image 2'):
        metric.process(None, [dict(pred_score=torch.ones(3),
                                   img_path=val_name(1))])
