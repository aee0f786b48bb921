"""The job runner: dependencies, the schedule replayed, and reuse keyed on
content (config, code, data, the checkpoints read, the dependencies): a job
is reused only when all of it is the same, and the board says what
changed."""
import io
import json
import sys

import pytest

from mmdeit.experiments import jobs, reuse
from mmdeit.experiments.jobs import CheckpointIn, JobFailed, Task, run_tasks
from mmdeit.experiments.progress import ProgressBoard


def test_schedule_length_replays_the_order_and_dependencies():
    def task(name, depends=()):
        return Task(name, [], '', list(depends))

    tasks = [task('teacher'), task('plain'), task('soft', ['teacher']),
             task('hard', ['teacher']), task('teacher/test', ['teacher']),
             task('plain/test', ['plain'])]
    durations = {'teacher': 100, 'plain': 120, 'soft': 150, 'hard': 140,
                 'teacher/test': 10, 'plain/test': 20}
    # 2 cores: teacher | plain, then soft at 100 | hard at 120; the tests
    # wait for a free core: teacher/test at 250, plain/test at 260
    assert jobs.schedule_length(tasks, durations, 2) == 280
    assert jobs.schedule_length(tasks, durations, 1) == sum(
        durations.values())
    assert jobs.schedule_length(tasks, durations, 6) == 250


class Experiment:
    """Three tasks in ``tmp``: 'train' writes a checkpoint and points
    ``last_checkpoint`` at it, 'test' reads it (a dependency), 'other'
    stands alone. Each appends its name to ``ran`` when it runs."""

    def __init__(self, tmp):
        self.tmp, self.ran = tmp, tmp / 'ran'
        self.output = io.StringIO()

    def command(self, name, code=''):
        return [sys.executable, '-c',
                f'open({str(self.ran)!r}, "a").write({name!r} + " ")\n'
                + code]

    def tasks(self, lr='0.001', data='abc', checkpoint_text='weights'):
        train_dir = self.tmp / 'train'
        checkpoint, pointer = (str(train_dir / 'epoch_1.pth'),
                               str(train_dir / 'last_checkpoint'))
        write = (f'import os; os.makedirs({str(train_dir)!r}, exist_ok=True)'
                 f'\nopen({checkpoint!r}, "w").write({checkpoint_text!r})'
                 f'\nopen({pointer!r}, "w").write({checkpoint!r})')
        return [
            Task('train', self.command('train', write),
                 str(train_dir / 'train.log'),
                 config={'optim_wrapper.optimizer.lr': lr},
                 data={'meta/train.txt': data}),
            Task('test', self.command('test') + [CheckpointIn(str(train_dir))],
                 str(self.tmp / 'test.log'), ['train']),
            Task('other', self.command('other'), str(self.tmp / 'other.log')),
        ]

    def run(self, tasks):
        if self.ran.exists():
            self.ran.unlink()
        board = ProgressBoard(stream=self.output, interactive=False)
        times = run_tasks(tasks, jobs=1, threads=1, board=board)
        ran = self.ran.read_text().split() if self.ran.exists() else []
        return times, sorted(ran)


@pytest.fixture
def experiment(tmp_path):
    return Experiment(tmp_path)


def test_a_job_is_reused_only_on_the_same_content(experiment, monkeypatch):
    first, ran = experiment.run(experiment.tasks())
    assert ran == ['other', 'test', 'train']
    again, ran = experiment.run(experiment.tasks())
    assert ran == [] and again == first
    assert 'reused   train  (finished before on the same content' in \
        experiment.output.getvalue()

    # a config value: the job and what depends on it run again, saying why
    _, ran = experiment.run(experiment.tasks(lr='0.003'))
    assert ran == ['test', 'train']
    assert ('again, as the config changed: optim_wrapper.optimizer.lr '
            '0.001 -> 0.003') in experiment.output.getvalue()
    assert 'again, as train has a new result' in experiment.output.getvalue()

    # the data
    _, ran = experiment.run(experiment.tasks(lr='0.003', data='abd'))
    assert ran == ['test', 'train']
    assert 'the data changed: meta/train.txt' in experiment.output.getvalue()

    # the package's code: every job
    digests = dict(reuse.package_digests())
    digests['mmdeit/models/heads/deit_head.py'] = '0' * 64
    monkeypatch.setattr(jobs, 'code_digests', lambda files=(): digests)
    _, ran = experiment.run(experiment.tasks(lr='0.003', data='abd'))
    assert ran == ['other', 'test', 'train']
    assert 'the code changed: mmdeit/models/heads/deit_head.py' in \
        experiment.output.getvalue()


def test_a_checkpoint_written_again_reruns_its_readers(experiment):
    experiment.run(experiment.tasks())
    # the training job's record lost (say, an interrupted run): it runs
    # again, writes another checkpoint, and the test that reads it reruns
    (experiment.tmp / 'train' / 'train.log.done').unlink()
    _, ran = experiment.run(experiment.tasks(checkpoint_text='other weights'))
    assert ran == ['test', 'train']
    # the same checkpoint content: the reader is reused
    (experiment.tmp / 'train' / 'train.log.done').unlink()
    _, ran = experiment.run(experiment.tasks(checkpoint_text='other weights'))
    assert ran == ['train']


def test_a_record_holds_the_content_and_times(experiment):
    experiment.run(experiment.tasks())
    record = json.loads((experiment.tmp / 'test.log.done').read_text())
    assert record['command'][-1] == \
        f'<checkpoint of {experiment.tmp / "train"}>'
    assert set(record['checkpoints']) == {str(experiment.tmp / 'train')}
    assert set(record['depends']) == {'train'}
    assert 'mmdeit/models/classifiers/distiller.py' in record['code']
    assert not any(path.startswith('mmdeit/experiments/')
                   for path in record['code'])
    assert record['key'] == reuse.job_key(record)
    assert record['times']['wall'] > 0


def test_a_failure_stops_every_job_and_names_the_log(tmp_path):
    slow = Task('slow', [sys.executable, '-c', 'import time; time.sleep(60)'],
                str(tmp_path / 'slow.log'))
    failing = Task('failing', [sys.executable, '-c',
                               'print("bad value"); raise SystemExit(3)'],
                   str(tmp_path / 'failing.log'))
    board = ProgressBoard(stream=io.StringIO(), interactive=False)
    with pytest.raises(JobFailed, match=r'failing failed \(exit code 3\)'
                       r'[\s\S]*bad value'):
        run_tasks([slow, failing], jobs=2, threads=1, board=board)
    assert not (tmp_path / 'failing.log.done').exists()
    assert not (tmp_path / 'slow.log.done').exists()
