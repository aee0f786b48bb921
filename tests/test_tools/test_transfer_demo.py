"""tools/transfer_demo.py: the class split and few-image draws it writes,
the table, and --quick end to end on IDX files the test writes."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.idx_files import IDX_FILES, write_idx
from tests.helpers.repo import ROOT, load_tool

transfer_demo = load_tool('tools/transfer_demo.py')


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
    transfer_demo.write_splits(str(tmp_path), shots=3, seeds=[0, 1])
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
    transfer_demo.write_splits(str(tmp_path), shots=3, seeds=[0])
    assert read(meta / 'classes5-9_3shot_seed0.txt') == draws[0]


def test_too_few_images_for_the_shots(tmp_path):
    fake_fashion_mnist(tmp_path, per_class=2)
    with pytest.raises(ValueError, match='fewer than --shots 3'):
        transfer_demo.write_splits(str(tmp_path), shots=3, seeds=[0])


def test_format_table_means_over_seeds():
    results = {
        'scratch': [{'accuracy/top1': 50.0}, {'accuracy/top1': 52.0}],
        'finetuned': [{'accuracy/top1': 80.0}, {'accuracy/top1': 81.0}],
        'teacher': [{'accuracy/top1': 85.0}, {'accuracy/top1': 85.0}],
        'distilled': [
            {'accuracy/top1': 82.0, 'accuracy/top1_cls': 81.0,
             'accuracy/top1_dist': 80.0, 'accuracy/teacher_agreement': 90.0},
            {'accuracy/top1': 84.0, 'accuracy/top1_cls': 83.0,
             'accuracy/top1_dist': 82.0, 'accuracy/teacher_agreement': 92.0}],
    }
    rows = transfer_demo.format_table(results).splitlines()
    cells = [[cell.strip() for cell in row.strip('|').split('|')]
             for row in rows[2:]]
    assert cells[0] == ['DeiT student, from scratch', '51.00 ± 1.41', '-',
                        '-', '-']
    assert cells[1][1] == '80.50 ± 0.71'
    assert cells[3][1:] == ['83.00 ± 1.41', '82.00 ± 1.41', '81.00 ± 1.41',
                            '91.00 ± 1.41']


@pytest.fixture(scope='module')
def idx_dir(tmp_path_factory) -> Path:
    """60 training and 40 test images: a bright bar whose row is the
    class, on noise."""
    folder = tmp_path_factory.mktemp('fashion_mnist_idx')
    rng = np.random.default_rng(0)
    for split, count in (('train', 60), ('test', 40)):
        labels = (np.arange(count) % 10).astype(np.uint8)
        images = rng.integers(0, 60, (count, 28, 28), dtype=np.uint8)
        for image, label in zip(images, labels):
            image[2 + 2 * label:4 + 2 * label] = 255
        write_idx(folder / f'{IDX_FILES[split][0]}.gz', images)
        write_idx(folder / f'{IDX_FILES[split][1]}.gz', labels)
    return folder


def test_quick_transfer_demo(idx_dir, tmp_path):
    work_dir = tmp_path / 'transfer'
    done = subprocess.run(
        [sys.executable, 'tools/transfer_demo.py', '--quick', '--seeds', '0',
         '--data-dir', str(idx_dir), '--work-dir', str(work_dir)],
        cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=1200)
    assert done.returncode == 0, done.stdout[-6000:]

    results = json.loads((work_dir / 'results.json').read_text())
    assert results['quick'] and results['seeds'] == [0]
    assert results['shots'] == transfer_demo.QUICK_SHOTS
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
    assert not re.search(r'loaded \d+ of the \d+ tensors of',
                         (seed_dir / 'scratch' / 'train.log').read_text())
    # the distilled pre-training learnt from the pre-trained teacher
    assert 'pretrain/teacher/epoch_' in (
        work_dir / 'pretrain' / 'distilled' / 'train.log').read_text()

    table = (work_dir / 'results.md').read_text()
    assert table in done.stdout


def test_keep_finished_skips_what_finished(tmp_path):
    """A finished training run (its checkpoint saved) and a finished test
    (its metrics written) are dropped, and so are dependencies on them."""
    def task(name, depends=()):
        run_dir = tmp_path / name.rsplit('/', 1)[0]
        kind = name.rsplit('/', 1)[1]
        return transfer_demo.Task(name, [], str(run_dir / f'{kind}.log'),
                                  list(depends))

    tasks = [task('pretrain/student/train'),
             task('pretrain/student/test', ['pretrain/student/train']),
             task('seed0/finetuned/train', ['pretrain/student/train']),
             task('seed0/finetuned/test', ['seed0/finetuned/train'])]
    run = tmp_path / 'pretrain' / 'student'
    run.mkdir(parents=True)
    assert [t.name for t in transfer_demo.unfinished(tasks)] == \
        [t.name for t in tasks]
    # a pointer to a checkpoint that is not there: not finished
    (run / 'last_checkpoint').write_text(str(run / 'epoch_1.pth'))
    assert len(transfer_demo.unfinished(tasks)) == 4
    (run / 'epoch_1.pth').write_bytes(b'')
    todo = transfer_demo.unfinished(tasks)
    assert [(t.name, t.depends) for t in todo] == [
        ('pretrain/student/test', []),
        ('seed0/finetuned/train', []),
        ('seed0/finetuned/test', ['seed0/finetuned/train'])]
    (run / 'test_metrics.json').write_text('{}')
    assert [t.name for t in transfer_demo.unfinished(tasks)] == \
        ['seed0/finetuned/train', 'seed0/finetuned/test']
