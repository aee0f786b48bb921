"""Each analysis tool writes its file from inputs made here: a tiny
distilled DeiT's checkpoint, a folder of images, a training log."""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import matplotlib.image
import numpy as np
import pytest
import torch

from mmdeit.apis import analysis, get_model
from mmdeit.evaluation import read_predictions
from mmdeit.visualization import attention_figure, curves, run_name
from mmdeit.visualization.curves import series
from tests.helpers.repo import ROOT, load_tool
CONFIG = '''
_base_ = ['{base}']
model = dict(
    backbone=dict(arch=dict(_delete_=True, embed_dims=32, num_layers=2,
                            num_heads=2, feedforward_channels=64),
                  img_size=32, patch_size=8),
    head=dict(num_classes=3, in_channels=32),
    teacher=None, distillation=None)
data_preprocessor = dict(num_classes=3)
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
test_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='CustomDataset', data_root='{data}',
                 data_prefix='val', classes=['red', 'green', 'blue'],
                 pipeline=test_pipeline))
val_dataloader = test_dataloader
'''


def png_shape(path: Path) -> tuple:
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    return matplotlib.image.imread(str(path)).shape


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    """(config, checkpoint, image folder) of a random tiny distilled DeiT."""
    root = tmp_path_factory.mktemp('analysis_tools')
    rng = np.random.default_rng(0)
    for label in range(3):
        folder = root / 'data' / 'val' / f'class_{label}'
        folder.mkdir(parents=True)
        for index in range(2):
            colour = np.roll([30, 30, 200], -label)  # BGR of red, green..
            image = np.clip(colour + rng.normal(0, 25, (32, 32, 3)), 0, 255)
            cv2.imwrite(str(folder / f'{index}.png'), image.astype(np.uint8))
    config = root / 'tiny_distilled.py'
    config.write_text(CONFIG.format(
        base=ROOT / 'configs/deit/deit-tiny-distilled_pt-4xb256_in1k.py',
        data=root / 'data'))
    torch.manual_seed(0)
    model = get_model(str(config))
    checkpoint = root / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    return config, checkpoint, root / 'data' / 'val'


def test_vis_attention_writes_one_png_per_image(tiny_run, tmp_path):
    config, checkpoint, images = tiny_run
    tool = load_tool('tools/visualization/vis_attention.py')
    written = tool.main([str(config), str(checkpoint), str(images),
                         '--out-dir', str(tmp_path), '--max-images', '3'])
    # class_0/0.png and class_1/0.png share a stem: the second gets its folder
    assert [Path(p).name for p in written] == [
        '0_attention.png', '1_attention.png', 'class_1_0_attention.png']
    height, width, _ = png_shape(Path(written[0]))
    assert height > 300 and width > 400


def test_vis_attention_titles_name_the_true_class(tiny_run, tmp_path,
                                                  monkeypatch):
    """Beside the prediction, the true class: from the config's test set,
    from a folder named after a class, or none for an image of one's own."""
    config, checkpoint, images = tiny_run
    mine = tmp_path / 'mine'
    (mine / 'green').mkdir(parents=True)
    cv2.imwrite(str(mine / 'green' / 'leaf.png'),
                np.full((32, 32, 3), (30, 200, 30), np.uint8))
    cv2.imwrite(str(mine / 'photo.png'), np.zeros((32, 32, 3), np.uint8))
    tool = load_tool('tools/visualization/vis_attention.py')
    titles = []

    def record(*args, title):
        titles.append(title)
        return attention_figure(*args, title=title)
    monkeypatch.setattr(analysis, 'attention_figure', record)
    tool.main([str(config), str(checkpoint), str(images / 'class_2' / '1.png'),
               str(mine), '--out-dir', str(tmp_path / 'out')])
    names = ['red', 'green', 'blue']
    assert [t.split(': ')[0] for t in titles] == ['1.png', 'photo.png',
                                                  'leaf.png']
    for title, true in zip(titles, ['blue', None, 'green']):
        predicted = title.split('predicted ')[1].split(',')[0]
        assert predicted in names
        assert title.endswith(f', true {true}') if true else \
            'true' not in title


def test_token_similarity_prints_plots_and_saves(tiny_run, tmp_path, capsys):
    config, checkpoint, images = tiny_run
    tool = load_tool('tools/analysis_tools/token_similarity.py')
    out, out_json = tmp_path / 'sim.png', tmp_path / 'sim.json'
    result = tool.main([str(config), str(checkpoint), str(images), '--out',
                        str(out), '--out-json', str(out_json)])
    assert [name for name, _ in result['stages']] == [
        'learnt tokens', 'input', 'layer 0', 'layer 1', 'final norm']
    assert result['images'] == 6
    printed = capsys.readouterr().out
    assert f'final norm     {result["stages"][-1][1]:.4f}' in printed
    assert json.loads(out_json.read_text())['images'] == 6
    png_shape(out)


def test_predictions_confusion_matrix_and_accuracy_table(tiny_run, tmp_path):
    config, checkpoint, _ = tiny_run
    pred = tmp_path / 'pred.pth'
    done = subprocess.run(
        [sys.executable, 'tools/test.py', str(config), str(checkpoint),
         '--work-dir', str(tmp_path / 'work'), '--out', str(pred),
         '--out-item', 'pred'], cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stdout[-4000:]
    assert '| metric | both heads | class token | distillation token |' \
        in done.stdout
    predictions = read_predictions(str(pred))
    assert predictions['gt_label'].tolist() == [0, 0, 1, 1, 2, 2]
    assert predictions['pred_score_dist'].shape == (6, 3)
    metrics = json.loads(
        (tmp_path / 'work' / 'test_metrics.json').read_text())['metrics']
    correct = (predictions['pred_score_cls'].argmax(1) ==
               predictions['gt_label']).float().mean().item()
    assert metrics['accuracy/top1_cls'] == pytest.approx(100 * correct)

    tool = load_tool('tools/analysis_tools/confusion_matrix.py')
    from_file = tool.main([str(config), str(pred), '--out',
                           str(tmp_path / 'cm_pred.png')])
    from_model = tool.main([str(config), str(checkpoint), '--out',
                            str(tmp_path / 'cm_model.png')])
    assert list(from_file) == ['both heads', 'class token',
                               'distillation token']
    for title in from_file:
        assert torch.equal(from_file[title], from_model[title])
        assert from_file[title].sum() == 6
    png_shape(tmp_path / 'cm_model.png')

    table = load_tool('tools/analysis_tools/accuracy_table.py').main(
        [str(tmp_path / 'work' / 'test_metrics.json'), '--out',
         str(tmp_path / 'table.md')])
    row = table.splitlines()[2]
    assert row.startswith('| tiny_distilled | ')
    assert f'| {metrics["accuracy/top1_dist"]:.2f} |' in row
    assert (tmp_path / 'table.md').read_text() == table + '\n'


def test_accuracy_table_names_each_row_beside_its_file(tmp_path):
    """NAME=RESULT.json pairs a name with its own file, whatever order a
    shell glob gives the files; a plain path is named after the config it
    records. No list of names paired by position."""
    for run, top1 in (('hard', 75.0), ('plain', 72.0), ('soft', 70.0)):
        (tmp_path / run).mkdir()
        (tmp_path / run / 'test_metrics.json').write_text(json.dumps(dict(
            config=f'configs/demo/{run}_config.py',
            metrics={'accuracy/top1': top1})))
    tool = load_tool('tools/analysis_tools/accuracy_table.py')
    table = tool.main([f'teacher={tmp_path / "soft" / "test_metrics.json"}',
                       str(tmp_path / 'hard' / 'test_metrics.json')])
    assert table.splitlines()[2:] == [
        '| teacher | 70.00 | - | - | - |',
        '| hard_config | 75.00 | - | - | - |']
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'hard' / 'test_metrics.json'),
                   '--names', 'a'])
    with pytest.raises(SystemExit, match='cannot read .*nowhere.json'):
        tool.main(['teacher=' + str(tmp_path / 'nowhere.json')])


def test_analyze_logs_plots_and_times_a_log(tmp_path, capsys):
    log = tmp_path / 'run' / '20260101_000000' / 'vis_data' / 'scalars.json'
    log.parent.mkdir(parents=True)
    records = [dict(lr=1e-3 / step, loss=2.0 / step, time=0.1 * step,
                    epoch=1, iter=step, step=step) for step in range(1, 5)]
    records.append({'accuracy/top1': 50.0, 'step': 1})
    log.write_text(''.join(json.dumps(r) + '\n' for r in records))
    tool = load_tool('tools/analysis_tools/analyze_logs.py')
    out = tmp_path / 'curves.png'
    tool.main(['plot_curve', str(log), '--keys', 'loss', 'accuracy/top1',
               'lr', '--out', str(out)])
    height, _, _ = png_shape(out)
    assert height > 500  # three stacked panels
    tool.main(['cal_train_time', str(log)])
    printed = capsys.readouterr().out
    # the first record of the epoch is left out: mean of 0.2, 0.3, 0.4
    assert 'average iter time: 0.3000 s/iter' in printed
    assert run_name(str(log)) == 'run'


def test_plot_curve_joins_a_resumed_run(tmp_path, monkeypatch):
    """work_dirs/a/*/vis_data/scalars.json of a run that was resumed: one
    curve per run folder, the repeated iterations taken from the later
    start; --legend names runs."""
    def write(run, stamp, steps, loss):
        log = tmp_path / run / stamp / 'vis_data' / 'scalars.json'
        log.parent.mkdir(parents=True)
        log.write_text(''.join(json.dumps(dict(
            lr=1e-3, loss=loss(step), epoch=1, iter=step, step=step)) + '\n'
            for step in steps))
        return str(log)
    logs = [write('a', '20260101_000000', range(1, 7), lambda s: 10.0),
            write('a', '20260102_000000', range(5, 9), lambda s: 1.0 / s),
            write('b', '20260101_000000', range(1, 9), lambda s: 2.0)]
    tool = load_tool('tools/analysis_tools/analyze_logs.py')
    drawn = {}
    original = curves.curve_figure

    def capture(named_logs, *args):
        drawn.update(named_logs)
        return original(named_logs, *args)
    monkeypatch.setattr(curves, 'curve_figure', capture)
    tool.main(['plot_curve', *logs, '--legend', 'resumed', 'plain',
               '--out', str(tmp_path / 'curves.png')])
    assert list(drawn) == ['resumed', 'plain']
    steps, losses = series(drawn['resumed'], 'loss')
    assert steps == list(range(1, 9))
    assert losses == [10.0] * 4 + [1.0 / s for s in range(5, 9)]
    with pytest.raises(SystemExit, match='3 legend names for 2 runs'):
        tool.main(['plot_curve', *logs, '--legend', 'x', 'y', 'z',
                   '--out', str(tmp_path / 'curves.png')])


def test_demo_figures_of_a_runs_folder(tiny_run, tmp_path):
    config, checkpoint, _ = tiny_run
    run = tmp_path / 'runs' / 'hard'
    (run / '20260101_000000' / 'vis_data').mkdir(parents=True)
    (run / 'tiny_distilled.py').write_text(config.read_text())
    (run / 'epoch_1.pth').write_bytes(checkpoint.read_bytes())
    (run / '20260101_000000' / 'vis_data' / 'scalars.json').write_text(
        ''.join(json.dumps(dict(lr=1e-3, loss=1.0 / i, epoch=1, iter=i,
                                step=i)) + '\n' for i in range(1, 4)))
    (run / 'test_metrics.json').write_text(json.dumps(dict(
        config='tiny_distilled.py', metrics={
            'accuracy/top1': 50.0, 'accuracy/top1_cls': 40.0,
            'accuracy/top1_dist': 45.0,
            'accuracy/teacher_agreement': 60.0})))
    tool = load_tool('tools/analysis_tools/demo_figures.py')
    written = tool.main([str(tmp_path / 'runs'), '--images', '2',
                         '--similarity-images', '4'])
    figures = tmp_path / 'runs' / 'figures'
    assert [Path(p).relative_to(figures).as_posix() for p in written] == [
        'curves.png', 'confusion_hard.png', 'attention/0_attention.png',
        'attention/class_1_0_attention.png', 'token_similarity.png',
        'accuracy_table.md']
    for path in written[:-1]:
        png_shape(Path(path))
    assert '| hard | 50.00 | 40.00 | 45.00 | 60.00 |' in \
        (figures / 'accuracy_table.md').read_text()
