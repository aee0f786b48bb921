"""`make demo` cannot rot: tools/demo.py --quick, end to end, on a small
Fashion-MNIST-shaped set of IDX files the test writes (no Debian package, no
download): conversion, teacher, three students, tests, the table, the
pictures; run again, every job is reused; and the by-hand command of the
hard-distilled config runs on what the demo left."""
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from mmdeit.experiments import demo
from tests.helpers.idx_files import write_bar_dataset
from tests.helpers.repo import ROOT


@pytest.fixture(scope='module')
def quick_demo(tmp_path_factory):
    """(work dir, output) of tools/demo.py --quick, run twice: the output
    of the second run."""
    idx_dir = write_bar_dataset(tmp_path_factory.mktemp('idx'))
    work_dir = tmp_path_factory.mktemp('demo')
    command = [sys.executable, 'tools/demo.py', '--quick', '--data-dir',
               str(idx_dir), '--work-dir', str(work_dir)]
    outputs = []
    for _ in range(2):
        done = subprocess.run(command, cwd=ROOT, text=True,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=600)
        assert done.returncode == 0, done.stdout[-6000:]
        outputs.append(done.stdout)
    return work_dir, outputs


def test_quick_demo_trains_tests_and_tabulates(quick_demo):
    work_dir, (first, _) = quick_demo
    lines = (work_dir / 'data' / 'fashion_mnist' / 'meta' /
             'train.txt').read_text().splitlines()
    assert len(lines) == 60 and lines[3] == 'train/00003.png 3'

    results = json.loads((work_dir / 'results.json').read_text())
    assert results['quick'] and results['seeds'] == [0]
    metrics = {key: runs[0] for key, runs in results['metrics'].items()}
    assert set(metrics) == {'teacher', 'student', 'soft', 'hard'}
    for key in ('teacher', 'student'):
        assert 'accuracy/top1_cls' not in metrics[key]
    for key in ('soft', 'hard'):
        for name in ('top1', 'top1_cls', 'top1_dist', 'top1_teacher',
                     'teacher_agreement'):
            # a count out of the fixture's 40 test images, each seen once
            hits = metrics[key][f'accuracy/{name}'] * 40 / 100
            assert hits == pytest.approx(round(hits), abs=1e-3), name
        # the distilled students were evaluated with the teacher the demo
        # trained, on the same test images as the teacher itself
        assert metrics[key]['accuracy/top1_teacher'] == pytest.approx(
            metrics['teacher']['accuracy/top1'])
    # every model's test metrics at the top of its folder, the hard
    # student's too (its test also kept the predictions)
    for key in metrics:
        record = json.loads((work_dir / 'seed0' / key /
                             'test_metrics.json').read_text())
        assert record['metrics'] == metrics[key]
    assert (work_dir / 'seed0' / 'hard' / 'predictions.pth').is_file()

    # each run trained on the 48 --quick images, 16 a batch: 3 iterations
    checkpoint = (work_dir / 'seed0' / 'hard' /
                  'last_checkpoint').read_text().strip()
    assert checkpoint.endswith('epoch_1.pth') and Path(checkpoint).exists()
    scalars = sorted((work_dir / 'seed0' / 'hard').glob(
        '*/vis_data/scalars.json'))
    iterations = [json.loads(line)['iter']
                  for line in scalars[0].read_text().splitlines()
                  if 'loss_distill' in line]
    assert iterations == [1, 2, 3]
    # training does not validate: the test command evaluates the test set
    assert 'Epoch(val)' not in (work_dir / 'seed0' / 'hard' /
                                'train.log').read_text()

    table = (work_dir / 'results.md').read_text().split('\n\n')[0]
    assert table in first  # the same runs, reused by the second demo
    assert re.search(r'\| student, distilled +\| hard +\|', table)
    assert '`python tools/demo.py --quick --data-dir' in first

    # the pictures, from the hard student's kept predictions, each a
    # readable image, and the output says where
    figures = work_dir / 'seed0' / 'figures'
    attention = sorted((figures / 'attention').glob('*.png'))
    assert len(attention) >= 2
    for png in [figures / 'curves.png', figures / 'confusion_hard.png',
                figures / 'token_similarity.png', *attention]:
        with Image.open(png) as image:
            image.verify()
            assert image.format == 'PNG' and min(image.size) > 32, png
    assert str(figures) in first


def test_run_again_every_job_is_reused(quick_demo):
    work_dir, (_, second) = quick_demo
    reused = re.findall(r'reused   (\S+)', second)
    assert len(reused) == 4 * 2 + 1  # train and test of 4 models, figures
    assert 'started' not in second
    # the same table, made from the same runs
    assert (work_dir / 'results.md').read_text() in second


def test_the_hard_configs_by_hand_command_runs_on_what_the_demo_left(
        quick_demo, tmp_path):
    """The command in the comment of the hard-distilled config, as written,
    on the quick demo's data and teacher (its work dir in place of
    work_dirs/demo, and a few images so that it is quick)."""
    work_dir, _ = quick_demo
    config = ROOT / 'configs' / 'demo' / MODEL_CONFIGS['hard']
    lines = config.read_text().splitlines()
    header = lines[:next(i for i, line in enumerate(lines)
                         if not line.startswith('#'))]
    comment = [line[1:].strip() for line in header]
    start = comment.index('D=work_dirs/demo/data/fashion_mnist')
    script = ' '.join(comment[start + 1:]).replace('\\ ', '')
    script = script.replace('$D', str(work_dir / 'data' / 'fashion_mnist'))
    command = shlex.split(script)
    assert command[:3] == ['python', 'tools/train.py',
                           f'configs/demo/{MODEL_CONFIGS["hard"]}']
    teacher = (work_dir / 'seed0' / 'teacher' /
               'last_checkpoint').read_text().strip()
    command[0] = sys.executable
    command += ['model.teacher.checkpoint=' + teacher,
                'train_dataloader.dataset.indices=16',
                'train_dataloader.batch_size=8', 'train_cfg.max_epochs=1',
                'val_dataloader.dataset.indices=8',
                'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False',
                'val_dataloader.num_workers=0',
                'val_dataloader.persistent_workers=False',
                '--work-dir', str(tmp_path / 'hard')]
    done = subprocess.run(command, cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-4000:]
    assert (tmp_path / 'hard' / 'epoch_1.pth').is_file()


MODEL_CONFIGS = {key: model.config for key, model in demo.MODELS.items()}


def test_tasks_count_the_epochs_their_configs_train(tmp_path):
    """The progress board's total: the epochs of each run's config (12 for
    the teacher, 8 for the students); the flips-only student on demand."""
    tasks = demo.seed_tasks(3, ['teacher', 'student', 'flips', 'hard'],
                            str(tmp_path), str(tmp_path / 'data'),
                            quick=False, loader_workers=0)
    epochs = {task.name: task.epochs for task in tasks
              if task.name.endswith('/train')}
    assert epochs == {'seed3/teacher/train': 12, 'seed3/student/train': 8,
                      'seed3/flips/train': 8, 'seed3/hard/train': 8}
    flips = next(t for t in tasks if t.name == 'seed3/flips/train')
    assert [flips.config[f'train_dataloader.dataset.pipeline.{i}.type']
            for i in range(3)] == ["'LoadImageFromFile'", "'RandomFlip'",
                                   "'PackInputs'"]
    assert flips.config['randomness.seed'] == '3'
    hard = next(t for t in tasks if t.name == 'seed3/hard/train')
    assert hard.depends == ('seed3/teacher/train', )
    assert f'model.teacher.checkpoint=<checkpoint of {tmp_path}/seed3/' \
        'teacher>' in [arg.placeholder() for arg in hard.command
                       if hasattr(arg, 'placeholder')]
