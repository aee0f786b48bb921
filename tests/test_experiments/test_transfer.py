"""tools/transfer_demo.py: the class split and few-image draws it writes,
the progress totals of its fine-tuning jobs, and --quick end to end on IDX
files the test writes."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmdeit.experiments import transfer
from tests.helpers.idx_files import write_bar_dataset
from tests.helpers.repo import ROOT


def fake_fashion_mnist(root: Path, per_class: int) -> None:
    """A converted folder: meta/{train,test}.txt, ``per_class`` lines of
    each of the 10 classes (no images needed to split)."""
    (root / 'meta').mkdir(parents=True)
    for split in ('train', 'test'):
        lines = [f'{split}/{i:05d}.png {i % 10}\n'
                 for i in range(10 * per_class)]
        (root / 'meta' / f'{split}.txt').write_text(''.join(lines))


def read(path: Path):
    return [(image, int(label)) for image, label in
            (line.rsplit(maxsplit=1)
             for line in path.read_text().splitlines())]


def test_splits_are_disjoint_relabelled_and_drawn_per_seed(tmp_path):
    fake_fashion_mnist(tmp_path, per_class=20)
    transfer.write_splits(str(tmp_path), shots=3, seeds=[0, 1])
    meta = tmp_path / 'meta'
    source = dict(read(meta / 'train.txt'))
    pretrain = read(meta / 'classes0-4_train.txt')
    assert len(pretrain) == 100
    assert all(source[image] == label < 5 for image, label in pretrain)
    test = read(meta / 'classes5-9_test.txt')
    test_source = dict(read(meta / 'test.txt'))
    assert len(test) == 100
    assert all(test_source[image] == label + 5 for image, label in test)

    draws = [read(meta / f'classes5-9_3shot_seed{seed}.txt')
             for seed in (0, 1)]
    for draw in draws:
        labels = [label for _, label in draw]
        assert sorted(labels) == sorted(list(range(5)) * 3)
        assert all(source[image] == label + 5 for image, label in draw)
        assert not {image for image, _ in draw} & {i for i, _ in pretrain}
    assert draws[0] != draws[1]
    # the same seed draws the same images
    transfer.write_splits(str(tmp_path), shots=3, seeds=[0])
    assert read(meta / 'classes5-9_3shot_seed0.txt') == draws[0]


def test_too_few_images_for_the_shots(tmp_path):
    fake_fashion_mnist(tmp_path, per_class=2)
    with pytest.raises(ValueError, match='fewer than --shots 3'):
        transfer.write_splits(str(tmp_path), shots=3, seeds=[0])


def test_fine_tuning_jobs_count_their_ten_epochs(tmp_path):
    """The progress line's total is the epochs of each run's own config:
    a fine-tuning job of 10 epochs of 10 iterations shows 100 iterations,
    not 10 (which read '20/10 it 200 %  ETA -1:59:57')."""
    fake_fashion_mnist(tmp_path / 'data', per_class=20)
    tasks = transfer.experiment_tasks(str(tmp_path), str(tmp_path / 'data'),
                                      seeds=[0], shots=3, quick=False,
                                      loader_workers=0)
    epochs = {task.name: task.epochs for task in tasks
              if task.name.endswith('/train')}
    assert epochs == {'pretrain/teacher/train': 1,
                      'pretrain/student/train': 1,
                      'pretrain/distilled/train': 1,
                      'seed0/scratch/train': 10, 'seed0/finetuned/train': 10,
                      'seed0/teacher/train': 10, 'seed0/distilled/train': 10}
    quick = transfer.experiment_tasks(str(tmp_path), str(tmp_path / 'data'),
                                      seeds=[0], shots=3, quick=True,
                                      loader_workers=0)
    assert {task.epochs for task in quick
            if task.name.endswith('/train')} == {transfer.QUICK_EPOCHS}


def test_quick_transfer_demo(tmp_path):
    idx_dir = write_bar_dataset(tmp_path / 'idx')
    work_dir = tmp_path / 'transfer'
    done = subprocess.run(
        [sys.executable, 'tools/transfer_demo.py', '--quick', '--seeds', '0',
         '--data-dir', str(idx_dir), '--work-dir', str(work_dir)],
        cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=1200)
    assert done.returncode == 0, done.stdout[-6000:]

    results = json.loads((work_dir / 'results.json').read_text())
    assert results['quick'] and results['seeds'] == [0]
    assert results['shots'] == transfer.QUICK_SHOTS
    metrics = {key: runs[0] for key, runs in results['metrics'].items()}
    assert set(metrics) == {'scratch', 'finetuned', 'teacher', 'distilled'}
    # distilled while fine-tuning from the fine-tuned teacher itself
    assert metrics['distilled']['accuracy/top1_teacher'] == pytest.approx(
        metrics['teacher']['accuracy/top1'])

    # each transfer run started from its pre-training run's backbone, the
    # baseline from nothing
    seed_dir = work_dir / 'seed0'
    for key, source in (('finetuned', 'student'), ('teacher', 'teacher'),
                        ('distilled', 'distilled')):
        log = (seed_dir / key / 'train.log').read_text()
        checkpoint = (work_dir / 'pretrain' / source /
                      'last_checkpoint').read_text().strip()
        # every backbone tensor came from the pre-training run
        assert re.search(rf'loaded (\d+) of the \1 tensors of \w+ from '
                         rf'{re.escape(checkpoint)} \(mmdeit layout\)',
                         log), key
        assert (seed_dir / key / 'test_metrics.json').is_file()
    assert not re.search(r'loaded \d+ of the \d+ tensors of',
                         (seed_dir / 'scratch' / 'train.log').read_text())
    # the distilled pre-training learnt from the pre-trained teacher
    assert 'pretrain/teacher/epoch_' in (
        work_dir / 'pretrain' / 'distilled' / 'train.log').read_text()
    table = (work_dir / 'results.md').read_text().split('\n\n')[0]
    assert table in done.stdout
