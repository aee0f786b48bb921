"""`make demo` cannot rot: tools/demo.py --quick, end to end, on a small
Fashion-MNIST-shaped set of IDX files the test writes (no Debian package, no
download): conversion, teacher, three students, tests, the table."""
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.idx_files import IDX_FILES, write_idx
from tests.helpers.repo import ROOT, load_tool

demo = load_tool('tools/demo.py')


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
            # a count out of the fixture's 40 test images, each seen once
            hits = metrics[key][f'accuracy/{name}'] * 40 / 100
            assert hits == pytest.approx(round(hits), abs=1e-3), name
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

    # the pictures, from the hard student's kept predictions (no second
    # evaluation), each a readable image, and the output says where
    figures = work_dir / 'seed0' / 'figures'
    assert (work_dir / 'seed0' / 'hard' / 'predictions.pth').is_file()
    attention = sorted((figures / 'attention').glob('*.png'))
    assert len(attention) >= 2
    for png in [figures / 'curves.png', figures / 'confusion_hard.png',
                figures / 'token_similarity.png', *attention]:
        with Image.open(png) as image:
            image.verify()
            assert image.format == 'PNG' and min(image.size) > 32, png
    assert str(figures) in done.stdout


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
    # mean ± sample standard deviation over the seeds; the last column the
    # paired difference to the plain student, with p = 1 - 2 atan(t) / pi
    # for one degree of freedom: teacher 10 and 11 points ahead, t = 21
    assert cells[0][1:] == ['-', '91.00 ± 1.41', '-', '-', '-',
                            '+10.50, p = 0.030']
    # a one-headed student's class token is its prediction
    assert cells[1][1:] == ['none', '80.50 ± 0.71', '80.50 ± 0.71', '-', '-',
                            '-']
    assert cells[2][1:] == ['soft', '83.00 ± 1.41', '82.00 ± 1.41',
                            '81.00 ± 1.41', '90.00 ± 0.00',
                            '+2.50, p = 0.126']  # 2 and 3 ahead, t = 5
    assert cells[3][2] == '85.00 ± 0.00'


@pytest.mark.parametrize('df', [1, 2, 3, 4, 7])
def test_paired_t_test_matches_scipy(df):
    stats = pytest.importorskip('scipy.stats')
    rng = np.random.default_rng(df)
    plain = rng.normal(80, 1, df + 1)
    hard = plain + rng.normal(1.0, 0.8, df + 1)
    gain, p = demo.paired_t_test(list(hard), list(plain))
    reference = stats.ttest_rel(hard, plain)
    assert gain == pytest.approx(np.mean(hard - plain))
    assert p == pytest.approx(reference.pvalue, rel=1e-9)


def test_schedule_length_replays_the_order_and_dependencies():
    def task(name, depends=()):
        return demo.Task(name, [], '', list(depends))

    tasks = [task('teacher'), task('plain'), task('soft', ['teacher']),
             task('hard', ['teacher']), task('teacher/test', ['teacher']),
             task('plain/test', ['plain'])]
    durations = {'teacher': 100, 'plain': 120, 'soft': 150, 'hard': 140,
                 'teacher/test': 10, 'plain/test': 20}
    # 2 cores: teacher | plain, then soft at 100 | hard at 120; the tests
    # wait for a free core: teacher/test at 250, plain/test at 260
    assert demo.schedule_length(tasks, durations, 2) == 280
    assert demo.schedule_length(tasks, durations, 1) == sum(durations.values())
    assert demo.schedule_length(tasks, durations, 6) == 250


TRAIN_LINE = ('12/01 21:50:02 - mmengine - INFO - Epoch(train)  [{epoch}]'
              '[{it:>2}/39]  base_lr: 1.0e-03 lr: 1.0e-03  eta: 0:01:10  '
              'time: 0.5  loss: 1.2\n')


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_parse_progress_counts_iterations_over_epochs():
    text = 'Config:\n' + TRAIN_LINE.format(epoch=1, it=30) + \
        TRAIN_LINE.format(epoch=3, it=10)
    assert demo.parse_progress(text, epochs=5) == (2 * 39 + 10, 5 * 39)
    test_line = '12/01 - mmengine - INFO - Epoch(test) [ 20/40]  eta: 0:00:05'
    assert demo.parse_progress(test_line, epochs=1) == (20, 40)
    assert demo.parse_progress('loading checkpoint', epochs=1) is None


def test_progress_board_redraws_one_line_per_job_in_place(tmp_path):
    now = [1000.0]
    terminal = FakeTerminal()
    board = demo.ProgressBoard(terminal, clock=lambda: now[0])
    assert board.interactive
    logs = {name: tmp_path / f'{name}.log' for name in ('teacher', 'plain')}
    for name, log in logs.items():
        log.write_text('')
        board.add(f'seed0/{name}/train', str(log), 5)
    board.message('  started both')
    assert terminal.getvalue() == (
        '  started both\n'
        'seed0/teacher/train  starting (0:00)\n'
        'seed0/plain/train    starting (0:00)\n')

    now[0] += 30
    logs['teacher'].write_text(TRAIN_LINE.format(epoch=1, it=10))
    board.refresh()
    now[0] += 30
    with open(logs['teacher'], 'a') as f:
        f.write(TRAIN_LINE.format(epoch=2, it=10))
        f.write('12/01 half a line: Epoch(train)  [5][39/39]')
    board.refresh()
    # each refresh moves the cursor up over the 2 lines and clears them
    frames = terminal.getvalue().split('\x1b[2F\x1b[J')
    assert len(frames) == 3
    # 49 of 195 iterations; 39 in the last 30 s: 146 left take 112 s
    assert frames[-1] == (
        'seed0/teacher/train   49/195 it   25 %  1:00 elapsed, ETA 1:52\n'
        'seed0/plain/train    starting (1:00)\n')

    board.remove('seed0/teacher/train')
    board.message('  finished teacher')
    assert terminal.getvalue().endswith(
        '\x1b[2F\x1b[J  finished teacher\n'
        'seed0/plain/train  starting (1:00)\n')


def test_progress_board_prints_plain_lines_at_intervals(tmp_path):
    now = [0.0]
    stream = io.StringIO()  # a log file or CI: no cursor movement
    board = demo.ProgressBoard(stream, interval=30, clock=lambda: now[0])
    assert not board.interactive
    log = tmp_path / 'train.log'
    log.write_text(TRAIN_LINE.format(epoch=1, it=20))
    board.add('seed0/hard/train', str(log), 1)
    board.message('  started hard')
    now[0] = 10
    board.refresh()
    assert stream.getvalue() == '  started hard\n'
    now[0] = 31
    board.refresh()
    now[0] = 40
    board.refresh()
    assert stream.getvalue() == (
        '  started hard\n'
        '  .. seed0/hard/train  20/39 it   51 %  0:31 elapsed, ETA -\n')
    assert '\x1b' not in stream.getvalue()


def test_run_tasks_reuses_jobs_finished_with_the_same_command(tmp_path):
    """A demo run again (or with more seeds) in the same work dir skips
    what finished before with the same command; a changed command reruns,
    and so does everything that depends on a rerun job."""
    def append(name, text):
        return [sys.executable, '-c',
                f'open({str(tmp_path / "ran")!r}, "a").write({name!r})',
                text]

    def tasks(train_text):
        return [demo.Task('train', append('train', train_text),
                          str(tmp_path / 'train.log'), []),
                demo.Task('test', append('test', 'same'),
                          str(tmp_path / 'test.log'), ['train']),
                demo.Task('other', append('other', 'same'),
                          str(tmp_path / 'other.log'), [])]

    board = demo.ProgressBoard(stream=io.StringIO())
    first = demo.run_tasks(tasks('a'), jobs=1, threads=1, board=board)
    assert sorted((tmp_path / 'ran').read_text()) == sorted('traintestother')
    (tmp_path / 'ran').write_text('')
    again = demo.run_tasks(tasks('a'), jobs=1, threads=1, board=board)
    assert (tmp_path / 'ran').read_text() == ''
    assert again == first
    demo.run_tasks(tasks('b'), jobs=1, threads=1, board=board)
    assert sorted((tmp_path / 'ran').read_text()) == sorted('traintest')
