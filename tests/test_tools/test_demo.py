"""`make demo` cannot rot: tools/demo.py --quick, end to end, on a small
Fashion-MNIST-shaped set of IDX files the test writes (no Debian package, no
download): conversion, teacher, three students, tests, the table."""
import gzip
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / 'tools'))
import demo  # noqa: E402

IDX_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
             'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}


def write_idx(path: Path, array: np.ndarray) -> None:
    """uint8 ``array`` as a gzipped IDX file."""
    header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim)
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


@pytest.fixture(scope='module')
def idx_dir(tmp_path_factory) -> Path:
    """60 training and 40 test images: a bright bar whose row is the class,
    on noise."""
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


def test_quick_demo(idx_dir, tmp_path):
    work_dir = tmp_path / 'demo'
    done = subprocess.run(
        [sys.executable, 'tools/demo.py', '--quick', '--data-dir',
         str(idx_dir), '--work-dir', str(work_dir)],
        cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=600)
    assert done.returncode == 0, done.stdout[-6000:]

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
            assert 0 <= metrics[key][f'accuracy/{name}'] <= 100
        # the distilled students were evaluated with the teacher the demo
        # trained, on the same test images as the teacher itself
        assert metrics[key]['accuracy/top1_teacher'] == pytest.approx(
            metrics['teacher']['accuracy/top1'])

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

    table = (work_dir / 'results.md').read_text()
    assert table in done.stdout
    assert f"| {demo.MODELS[3].label}" in table and '| hard' in table


def test_format_table_means_over_seeds():
    def run(top1, cls=None, dist=None):
        metrics = {'accuracy/top1': top1}
        if cls is not None:
            metrics.update({'accuracy/top1_cls': cls,
                            'accuracy/top1_dist': dist,
                            'accuracy/teacher_agreement': 90.0})
        return metrics

    results = {'teacher': [run(90.0), run(92.0)],
               'student': [run(80.0), run(81.0)],
               'soft': [run(82.0, 81.0, 80.0), run(84.0, 83.0, 82.0)],
               'hard': [run(85.0, 84.0, 85.5), run(85.0, 84.0, 85.5)]}
    rows = demo.format_table(results).splitlines()
    cells = [[cell.strip() for cell in row.strip('|').split('|')]
             for row in rows[2:]]
    # mean ± sample standard deviation over the seeds
    assert cells[0][1:] == ['-', '91.00 ± 1.41', '-', '-', '-']
    # a one-headed student's class token is its prediction
    assert cells[1][1:] == ['none', '80.50 ± 0.71', '80.50 ± 0.71', '-', '-']
    assert cells[2][1:] == ['soft', '83.00 ± 1.41', '82.00 ± 1.41',
                            '81.00 ± 1.41', '90.00 ± 0.00']
    assert cells[3][2] == '85.00 ± 0.00'
