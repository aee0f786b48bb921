"""The progress board: iterations read from mmengine's log lines, redrawn in
place on a terminal, printed at intervals elsewhere."""
import io

from mmdeit.experiments.progress import ProgressBoard, parse_progress

TRAIN_LINE = ('12/01 21:50:02 - mmengine - INFO - Epoch(train)  [{epoch}]'
              '[{it:>2}/39]  base_lr: 1.0e-03 lr: 1.0e-03  eta: 0:01:10  '
              'time: 0.5  loss: 1.2\n')


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_parse_progress_counts_iterations_over_epochs():
    text = 'Config:\n' + TRAIN_LINE.format(epoch=1, it=30) + \
        TRAIN_LINE.format(epoch=3, it=10)
    assert parse_progress(text, epochs=5) == (2 * 39 + 10, 5 * 39)
    test_line = '12/01 - mmengine - INFO - Epoch(test) [ 20/40]  eta: 0:00:05'
    assert parse_progress(test_line, epochs=1) == (20, 40)
    assert parse_progress('loading checkpoint', epochs=1) is None


def test_progress_board_redraws_one_line_per_job_in_place(tmp_path):
    now = [1000.0]
    terminal = FakeTerminal()
    board = ProgressBoard(terminal, clock=lambda: now[0])
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
    board = ProgressBoard(stream, interval=30, clock=lambda: now[0])
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
