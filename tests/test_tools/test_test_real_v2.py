"""tools/test.py --real --v2: ImageNet, ReaL and V2 top-1 side by side, on
a tiny model and folders laid out as the real data sets are."""
import json
import shutil

import pytest
import torch

import mmdeit
from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import DEIT_TINY_CONFIG, load_tool
from tests.helpers.tiny_runner import evaluation_pipeline_text, model_text

CLASSES = 3
CONFIG = "_base_ = ['{base}']\n" + model_text(CLASSES) + \
    evaluation_pipeline_text(resize=16, interpolation=None) + '''
test_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root='{val}',
                 pipeline=test_pipeline))
test_evaluator = dict(type='Accuracy', topk=(1, ))
'''


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """ImageNet val as class folders of ILSVRC2012_val_* files, the same
    images as ImageNetV2 (class folders 0/ 1/ 2/), a real.json whose labels
    are every class but the true one, a config and random weights."""
    root = tmp_path_factory.mktemp('real_v2')
    write_image_folder(root / 'data', CLASSES, (('val', 4), ))
    val, v2 = root / 'val', root / 'v2'
    real, number = [], 0
    for label in range(CLASSES):
        for image in sorted((root / 'data' / 'val' /
                             f'class_{label}').iterdir()):
            number += 1
            name = f'ILSVRC2012_val_{number:08d}.png'
            for folder in (val / f'class_{label}', v2 / str(label)):
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copy(image, folder / name)
            real.append([k for k in range(CLASSES) if k != label])
    (root / 'real.json').write_text(json.dumps(real))
    config = root / 'tiny.py'
    config.write_text(CONFIG.format(base=DEIT_TINY_CONFIG, val=val))
    torch.manual_seed(3)
    model = mmdeit.get_model(str(config))
    checkpoint = root / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    return root, config, checkpoint


def test_imagenet_real_v2_columns(setup, capsys):
    root, config, checkpoint = setup
    test = load_tool('tools/test.py')
    metrics = test.main([str(config), str(checkpoint), '--work-dir',
                         str(root / 'work'), '--real',
                         str(root / 'real.json'), '--v2', str(root / 'v2')])
    top1 = metrics['accuracy/top1']
    # every class but the true one is a ReaL label
    assert metrics['real/top1'] == pytest.approx(100 - top1)
    # V2 holds the same images, labelled by folder number
    assert metrics['v2/accuracy/top1'] == pytest.approx(top1)
    out = capsys.readouterr().out
    header = '| model | ImageNet top-1 | ReaL top-1 | V2 top-1 |'
    assert header in out
    row = out.split(header)[1].splitlines()[2]
    assert row == (f'| {checkpoint} | {top1:.2f} | {100 - top1:.2f} | '
                   f'{top1:.2f} |')
    saved = json.loads((root / 'work' / 'test_metrics.json').read_text())
    assert saved['metrics']['v2/accuracy/top1'] == pytest.approx(top1)


def test_without_the_options_no_extra_table(setup, capsys):
    root, config, checkpoint = setup
    test = load_tool('tools/test.py')
    metrics = test.main([str(config), str(checkpoint), '--work-dir',
                         str(root / 'work2')])
    assert set(metrics) == {'accuracy/top1'}
    assert 'ReaL top-1' not in capsys.readouterr().out
