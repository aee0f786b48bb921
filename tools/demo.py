"""DeiT's story on Fashion-MNIST, on a laptop CPU, in one command.

    python tools/demo.py [--quick] [--seeds 0 1 2] [--data-dir IDX_DIR]
        [--work-dir work_dirs/demo] [--jobs 2] [--data-only]

1. Prepares the data: the four Fashion-MNIST IDX files from ``--data-dir``,
   else files already on the machine (an earlier download, the Debian
   package ``dataset-fashion-mnist``), else downloaded from the official
   URLs, else the Debian package installed with apt-get (as root); each step
   is printed. Converted to an image folder in WORK_DIR/data/fashion_mnist.
2. Per seed, with tools/train.py and tools/test.py: trains a convnet teacher
   (a small RegNetX, 10 epochs) and a DeiT student without distillation
   (8 epochs), then two students distilled from that teacher (soft and
   hard, 8 epochs), all on the first 10,000 training images; tests the four
   on the 10,000 test images. One line per running job shows its progress
   (iterations done of total, ETA), redrawn in place on a terminal.
3. Prints the accuracy table (per head for the distilled students: class
   token, distillation token, both averaged; over several seeds, the paired
   t-test against the plain student) and the jobs' CPU time, and writes them
   to WORK_DIR/results.md and WORK_DIR/results.json.
4. Per seed, draws the pictures with tools/analysis_tools/demo_figures.py
   into WORK_DIR/seedN/figures: training curves, the hard-distilled
   student's confusion matrix (from the predictions its test kept) and
   attention maps, its token similarity, the accuracy table.

The configs are configs/demo/*-10k.py. Runs go ``--jobs`` at a time (the
teacher beside the plain student, the two distilled students once the
teacher is trained), each with an equal share of the CPU threads: on a small
CPU, single-threaded processes side by side waste less than two threads
synchronising on every layer, and such a run loads its data itself rather
than in a loader process. Training skips the configs' end-of-training
validation, since the test command evaluates the same images. ``--quick``
trains one epoch and tests on a few batches only, to check that everything
runs (its accuracies mean nothing).
"""
import argparse
import json
import math
import os
import os.path as osp
import re
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))

import fashion_mnist  # noqa: E402

CONFIG_DIR = osp.join(ROOT, 'configs', 'demo')


class Model(NamedTuple):
    """One row of the table: a config of configs/demo and what it is."""
    key: str
    config: str
    label: str
    distillation: str
    needs_teacher: bool


MODELS = (
    Model('teacher', 'regnetx-w48_1xb128-10ep_fashion-mnist-10k.py',
          'teacher: RegNetX-w48 (convnet)', '-', False),
    Model('student', 'deit-p7-w128_1xb128-8ep_fashion-mnist-10k.py',
          'student: DeiT-p7, 128 dims, 4 layers', 'none', False),
    Model('soft',
          'deit-p7-w128-soft-distilled_1xb128-8ep_fashion-mnist-10k.py',
          'student, distilled', 'soft', True),
    Model('hard',
          'deit-p7-w128-hard-distilled_1xb128-8ep_fashion-mnist-10k.py',
          'student, distilled', 'hard', True),
)
# Table columns: metric of tools/test.py -> heading.
COLUMNS = {
    'accuracy/top1': 'top-1 (both heads)',
    'accuracy/top1_cls': 'class token',
    'accuracy/top1_dist': 'distillation token',
    'accuracy/teacher_agreement': 'agrees with teacher',
}
# --quick: images trained on / tested on, and the batch size.
QUICK_TRAIN_IMAGES = 48
QUICK_TEST_IMAGES = 64
QUICK_BATCH = 16
# The distilled student whose attention, tokens and confusion matrix the
# figures show, and the figures' settings (--quick: lighter).
FIGURES_STUDENT = 'hard'
FIGURES_OPTIONS = ['--images', '4', '--similarity-images', '500']
QUICK_FIGURES_OPTIONS = ['--images', '2', '--similarity-images', '64']


class CheckpointIn(NamedTuple):
    """A command argument that is only known once a run has finished:
    ``prefix`` + the checkpoint path that mmengine's ``last_checkpoint``
    file in ``run_dir`` names."""
    run_dir: str
    prefix: str = ''

    def resolve(self) -> str:
        with open(osp.join(self.run_dir, 'last_checkpoint')) as f:
            return self.prefix + f.read().strip()


class Task(NamedTuple):
    """A command of the demo, run once the tasks it depends on are done."""
    name: str
    command: list  # of str and CheckpointIn
    log: str
    depends: Sequence[str]
    epochs: int = 1  # of training, to count its iterations


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train and compare a teacher and three DeiT students on '
        'Fashion-MNIST')
    parser.add_argument(
        '--quick', action='store_true',
        help=f'train on {QUICK_TRAIN_IMAGES} images and test on '
        f'{QUICK_TEST_IMAGES}: a check that everything runs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='one full comparison per seed (default: 0)')
    parser.add_argument(
        '--data-dir',
        help='folder of the four Fashion-MNIST IDX files, .gz or not '
        f'(default: {fashion_mnist.DEBIAN_DIR} when the Debian package is '
        'installed, else download them)')
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='where data, runs and results go '
                        '(default: %(default)s)')
    parser.add_argument('--jobs', type=int, default=2,
                        help='runs at a time (default: %(default)s)')
    parser.add_argument('--data-only', action='store_true',
                        help='prepare the data, then stop')
    return parser.parse_args(argv)


def prepare_data(data_dir: Optional[str], work_dir: str) -> str:
    """Find the IDX files (the folder given, files on the machine, the
    official URLs, the Debian package: each step printed) and convert them
    to an image folder; returns its path."""
    out = osp.join(work_dir, 'data', 'fashion_mnist')
    try:
        source = fashion_mnist.resolve_source(
            data_dir, out, allow_download=True,
            report=fashion_mnist.print_step)
    except fashion_mnist.DataUnavailable as error:
        sys.exit(f'tools/demo.py: {error}')
    print(f'Fashion-MNIST IDX files: {source}', flush=True)
    fashion_mnist.convert(source, out)
    return out


def config_options(data_root: str, quick: bool, seed: int,
                   teacher_run: Optional[str], loader_workers: int) -> list:
    """``--cfg-options`` of every train and test command.

    ``loader_workers``: data-loading processes per run. With one core per
    run, a loader process only competes with its own run for that core and
    adds a copy of every batch between processes, so the demo then loads in
    the training process (0).
    """
    options = [f'randomness.seed={seed}']
    for loader in ('train_dataloader', 'test_dataloader'):
        options.append(f'{loader}.dataset.data_root={data_root}')
    if teacher_run is not None:
        options.append(CheckpointIn(teacher_run, 'model.teacher.checkpoint='))
    if quick:
        loader_workers = 0
        options += [
            f'train_dataloader.dataset.indices={QUICK_TRAIN_IMAGES}',
            f'test_dataloader.dataset.indices={QUICK_TEST_IMAGES}',
            'train_cfg.max_epochs=1',
            'default_hooks.checkpoint.interval=1',
            'default_hooks.logger.interval=1',
        ]
        for loader in ('train_dataloader', 'test_dataloader'):
            options.append(f'{loader}.batch_size={QUICK_BATCH}')
    for loader in ('train_dataloader', 'test_dataloader'):
        options.append(f'{loader}.num_workers={loader_workers}')
        if loader_workers == 0:
            options.append(f'{loader}.persistent_workers=False')
    return options


# Train commands skip the configs' end-of-training validation: the test
# command that follows evaluates the same test set.
NO_VALIDATION = ['val_dataloader=None', 'val_cfg=None', 'val_evaluator=None']


def seed_tasks(seed: int, work_dir: str, data_root: str, quick: bool,
               loader_workers: int) -> List[Task]:
    """Train and test commands of one seed's four models."""
    seed_dir = osp.join(work_dir, f'seed{seed}')
    teacher_run = osp.join(seed_dir, 'teacher')
    tasks = []
    for model in MODELS:
        run_dir = osp.join(seed_dir, model.key)
        config = osp.join(CONFIG_DIR, model.config)
        options = config_options(data_root, quick, seed,
                                 teacher_run if model.needs_teacher else None,
                                 loader_workers)
        train = f'seed{seed}/{model.key}/train'
        tasks.append(Task(
            train,
            [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
             '--work-dir', run_dir, '--cfg-options', *options,
             *NO_VALIDATION],
            osp.join(run_dir, 'train.log'),
            [f'seed{seed}/teacher/train'] if model.needs_teacher else [],
            1 if quick else Config.fromfile(config).train_cfg.max_epochs))
        # the figures' confusion matrix reuses the student's predictions
        # rather than evaluating it again
        out = ['--out-item', 'pred', '--out',
               osp.join(run_dir, 'predictions.pth')] \
            if model.key == FIGURES_STUDENT else \
            ['--out', osp.join(run_dir, 'test_metrics.json')]
        tasks.append(Task(
            f'seed{seed}/{model.key}/test',
            [sys.executable, osp.join(ROOT, 'tools', 'test.py'), config,
             CheckpointIn(run_dir), '--work-dir',
             osp.join(run_dir, 'test'), *out, '--cfg-options', *options],
            osp.join(run_dir, 'test.log'), [train]))
    return tasks


def resolve_command(command: list) -> List[str]:
    """The command with its :class:`CheckpointIn` arguments resolved."""
    return [arg.resolve() if isinstance(arg, CheckpointIn) else arg
            for arg in command]


# mmengine's progress lines: "Epoch(train)  [ 2][ 50/79]  ..." (epoch,
# iteration of the epoch / iterations per epoch) and "Epoch(test) [20/40]".
TRAIN_PROGRESS = re.compile(r'Epoch\(train\)\s*\[\s*(\d+)\]\[\s*(\d+)/(\d+)\]')
TEST_PROGRESS = re.compile(r'Epoch\(test\)\s*\[\s*(\d+)/(\d+)\]')


def parse_progress(text: str, epochs: int) -> Optional[Tuple[int, int]]:
    """(iterations done, total) from the last mmengine progress line of
    ``text``, a run's log of ``epochs`` training epochs; None before the
    first such line."""
    for line in reversed(text.splitlines()):
        found = TRAIN_PROGRESS.search(line)
        if found:
            epoch, done, per_epoch = map(int, found.groups())
            return (epoch - 1) * per_epoch + done, epochs * per_epoch
        found = TEST_PROGRESS.search(line)
        if found:
            done, total = map(int, found.groups())
            return done, total
    return None


def format_duration(seconds: float) -> str:
    """'m:ss' (or 'h:mm:ss')."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f'{hours}:{minutes:02d}:{secs:02d}' if hours else \
        f'{minutes}:{secs:02d}'


class JobProgress:
    """How far one running job is, read from its log as it grows."""

    def __init__(self, name: str, log: str, epochs: int, start: float):
        self.name, self.log, self.epochs, self.start = name, log, epochs, start
        self.offset = 0  # bytes of the log already read
        self.done = self.total = None
        self.first = None  # (time, iterations) of the first progress seen

    def update(self, now: float) -> None:
        """Read what the log gained since the last call."""
        try:
            with open(self.log, 'rb') as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        # only whole lines: the last one may still be being written
        data = data[:data.rfind(b'\n') + 1]
        self.offset += len(data)
        found = parse_progress(data.decode(errors='replace'), self.epochs)
        if found is not None:
            self.done, self.total = found
            if self.first is None:
                self.first = (now, self.done)

    def eta(self, now: float) -> Optional[float]:
        """Seconds left at the rate since the first progress line."""
        if self.first is None or self.done <= self.first[1]:
            return None
        rate = (self.done - self.first[1]) / (now - self.first[0])
        return (self.total - self.done) / rate if rate > 0 else None

    def line(self, now: float, width: int) -> str:
        """'<name>  done/total it  percent  elapsed, ETA m:ss'."""
        elapsed = format_duration(now - self.start)
        if self.total is None:
            return f'{self.name:<{width}}  starting ({elapsed})'
        eta = self.eta(now)
        return (f'{self.name:<{width}}  {self.done:>{len(str(self.total))}}'
                f'/{self.total} it  {100 * self.done / self.total:3.0f} %  '
                f'{elapsed} elapsed, ETA '
                f'{format_duration(eta) if eta is not None else "-"}')


class ProgressBoard:
    """One line per running job, redrawn in place on a terminal; elsewhere
    (a log file, CI) the lines are printed every ``interval`` seconds."""

    def __init__(self, stream=None, interactive: Optional[bool] = None,
                 interval: float = 30.0, clock=time.time):
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty() if interactive is None \
            else interactive
        self.interval, self.clock = interval, clock
        self.jobs: Dict[str, JobProgress] = {}
        self.drawn = 0  # lines of the board now on the terminal
        self.printed = clock()  # when plain lines were last printed

    def add(self, name: str, log: str, epochs: int) -> None:
        self.jobs[name] = JobProgress(name, log, epochs, self.clock())

    def remove(self, name: str) -> None:
        self.jobs.pop(name)

    def _lines(self, now: float) -> List[str]:
        width = max(len(name) for name in self.jobs)
        return [job.line(now, width) for job in self.jobs.values()]

    def _erase(self) -> None:
        if self.drawn:
            # cursor up to the board's first line, clear to the end
            self.stream.write(f'\x1b[{self.drawn}F\x1b[J')
            self.drawn = 0

    def message(self, text: str) -> None:
        """Print ``text`` above the board."""
        self._erase()
        self.stream.write(text + '\n')
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Read the logs and show the lines (plain: if ``interval`` has
        passed)."""
        now = self.clock()
        for job in self.jobs.values():
            job.update(now)
        if self.interactive:
            self._erase()
            lines = self._lines(now) if self.jobs else []
            self.stream.write(''.join(f'{line}\n' for line in lines))
            self.drawn = len(lines)
        elif self.jobs and not force and now - self.printed >= self.interval:
            self.stream.write(''.join(f'  .. {line}\n'
                                      for line in self._lines(now)))
            self.printed = now
        self.stream.flush()


class JobTime(NamedTuple):
    """Wall-clock and CPU (user + system) seconds of one finished job."""
    wall: float
    cpu: float


def wait_nohang(process: subprocess.Popen) -> Optional[float]:
    """None while ``process`` runs; once it has ended, its CPU seconds (user
    + system, its own children included), its return code set."""
    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid == 0:
        return None
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def done_marker(task: Task) -> str:
    return task.log + '.done'


def mark_finished(task: Task, job_time: JobTime) -> None:
    """Record that ``task`` succeeded, with its command and times."""
    with open(done_marker(task), 'w') as f:
        json.dump(dict(command=resolve_command(task.command),
                       times=job_time._asdict()), f)


def finished_before(task: Task) -> Optional[JobTime]:
    """The times of an earlier successful run of exactly this command in
    the same work dir (a demo run again, or with more seeds, reuses it);
    None if there is none."""
    try:
        with open(done_marker(task)) as f:
            earlier = json.load(f)
        if earlier['command'] != resolve_command(task.command):
            return None
        return JobTime(**earlier['times'])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_tasks(tasks: List[Task], jobs: int, threads: int,
              board: Optional[ProgressBoard] = None) -> Dict[str, JobTime]:
    """Run ``tasks`` as subprocesses, ``jobs`` at a time, each when its
    dependencies are done, their progress on ``board``; stop everything at
    the first failure. Returns each task's times."""
    board = board or ProgressBoard()
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    waiting, running, times, reran = list(tasks), {}, {}, set()
    while waiting or running:
        for task in list(waiting):
            if len(running) >= jobs:
                break
            if all(dep in times for dep in task.depends):
                waiting.remove(task)
                # reused only if what it depends on was reused too
                earlier = None if reran.intersection(task.depends) \
                    else finished_before(task)
                if earlier is not None:
                    times[task.name] = earlier
                    board.message(f'  reused   {task.name}  (finished in an '
                                  f'earlier run: {task.log})')
                    continue
                reran.add(task.name)
                os.makedirs(osp.dirname(task.log), exist_ok=True)
                if osp.exists(done_marker(task)):
                    os.remove(done_marker(task))
                log = open(task.log, 'w')
                process = subprocess.Popen(
                    resolve_command(task.command), cwd=ROOT, env=env,
                    stdout=log, stderr=subprocess.STDOUT)
                running[task.name] = (task, process, log, time.time())
                board.add(task.name, task.log, task.epochs)
                board.message(f'  started  {task.name}  (log: {task.log})')
        time.sleep(0.5)
        board.refresh()
        for name, (task, process, log, start) in list(running.items()):
            cpu = wait_nohang(process)
            if cpu is None:
                continue
            log.close()
            del running[name]
            board.remove(name)
            if process.returncode != 0:
                for _, other, other_log, _ in running.values():
                    other.terminate()
                    other.wait()
                    other_log.close()
                with open(task.log) as f:
                    tail = f.read()[-3000:]
                board.message('')
                sys.exit(f'tools/demo.py: {name} failed (exit code '
                         f'{process.returncode}); the end of {task.log}:\n'
                         f'{tail}')
            times[name] = JobTime(time.time() - start, cpu)
            mark_finished(task, times[name])
            board.message(f'  finished {name}  ({times[name].wall:.0f} s, '
                          f'CPU {cpu:.0f} s)')
    return times


def schedule_length(tasks: Sequence[Task], durations: Dict[str, float],
                    jobs: int) -> float:
    """How long :func:`run_tasks` takes if each task lasts
    ``durations[name]`` seconds: the same order, ``jobs`` at a time. Given
    CPU times of single-threaded jobs, the wall time on an otherwise idle
    machine with ``jobs`` cores."""
    waiting, running, finished, now = list(tasks), {}, {}, 0.0
    while waiting or running:
        for task in list(waiting):
            if len(running) >= jobs:
                break
            if all(finished.get(dep, now + 1) <= now for dep in task.depends):
                waiting.remove(task)
                running[task.name] = now + durations[task.name]
        name = min(running, key=running.get)
        now = running.pop(name)
        finished[name] = now
    return now


def read_metrics(work_dir: str, seeds: Sequence[int]
                 ) -> Dict[str, List[Dict[str, float]]]:
    """model key -> the test metrics of each seed."""
    results = {}
    for model in MODELS:
        results[model.key] = []
        for seed in seeds:
            # tools/test.py writes it into its work dir whatever --out is
            path = osp.join(work_dir, f'seed{seed}', model.key, 'test',
                            'test_metrics.json')
            with open(path) as f:
                results[model.key].append(json.load(f)['metrics'])
    return results


def t_two_sided_p(t: float, df: int) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom, from
    the finite series of Abramowitz & Stegun 26.7.3-4 (integer ``df``)."""
    theta = math.atan(abs(t) / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2 == 0:
        term = total = 1.0
        for k in range(1, df // 2):
            term *= cos2 * (2 * k - 1) / (2 * k)
            total += term
        inside = math.sin(theta) * total
    else:
        term, total = 1.0, 0.0
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        inside = 2 / math.pi * (
            theta + math.sin(theta) * math.cos(theta) * total)
    return max(0.0, 1.0 - inside)


def paired_t_test(values: Sequence[float], reference: Sequence[float]
                  ) -> Tuple[float, float]:
    """Mean of ``values - reference`` (paired by seed) and its two-sided
    p-value under a paired t-test."""
    diffs = [a - b for a, b in zip(values, reference)]
    mean = statistics.mean(diffs)
    spread = statistics.stdev(diffs)
    if spread == 0:
        return mean, 0.0 if mean else 1.0
    t = mean / (spread / math.sqrt(len(diffs)))
    return mean, t_two_sided_p(t, len(diffs) - 1)


def summarise(values: List[float]) -> str:
    """'mean' for one value, 'mean ± sample std' for more."""
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def format_table(results: Dict[str, List[Dict[str, float]]]) -> str:
    """The accuracy table as Markdown: one row per model, top-1 (%) of the
    averaged heads, of each head, the agreement with the teacher, and (over
    two seeds or more) the difference to the plain student's top-1 with the
    p-value of a paired t-test."""
    headings = ['model', 'distillation', *COLUMNS.values(),
                'vs plain student (paired t-test)']
    plain = [run['accuracy/top1'] for run in results['student']]
    rows = []
    for model in MODELS:
        runs = results[model.key]
        row = [model.label, model.distillation]
        for metric in COLUMNS:
            values = [run[metric] for run in runs if metric in run]
            if metric == 'accuracy/top1_cls' and not values \
                    and model.key != 'teacher':
                # a one-headed student: its class token is the prediction
                values = [run['accuracy/top1'] for run in runs]
            row.append(summarise(values) if values else '-')
        if model.key == 'student' or len(runs) < 2:
            row.append('-')
        else:
            gain, p = paired_t_test([run['accuracy/top1'] for run in runs],
                                    plain)
            row.append(f'{gain:+.2f}, p = {p:.3f}')
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [headings] + rows)
              for i in range(len(headings))]
    lines = ['| ' + ' | '.join(f'{c:<{w}}' for c, w in zip(row, widths)) +
             ' |' for row in [headings] + rows]
    lines.insert(1, '|' + '|'.join('-' * (w + 2) for w in widths) + '|')
    return '\n'.join(lines)


def time_summary(tasks: Sequence[Task], times: Dict[str, JobTime],
                 jobs: int) -> str:
    """The jobs' CPU time and the wall time it implies on an idle machine
    (each single-threaded job as long as its CPU time, ``jobs`` cores)."""
    cpu = sum(t.cpu for t in times.values())
    idle = schedule_length(tasks, {n: t.cpu for n, t in times.items()}, jobs)
    return (f'training and testing: {cpu / 60:.1f} CPU-min (user + system) '
            f'over {len(times)} jobs; on {jobs} idle cores about '
            f'{idle / 60:.1f} min')


def main(argv=None) -> str:
    args = parse_args(argv)
    start = time.time()
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    print('== preparing Fashion-MNIST', flush=True)
    data_root = prepare_data(args.data_dir, work_dir)
    if args.data_only:
        return data_root
    data_minutes = (time.time() - start) / 60

    jobs = max(1, args.jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    loader_workers = 0 if threads == 1 else 1
    tasks = [task for seed in args.seeds
             for task in seed_tasks(seed, work_dir, data_root, args.quick,
                                    loader_workers)]
    # training first: a free slot goes to the next student, the longer
    # work, before the tests
    tasks.sort(key=lambda task: task.name.endswith('/test'))
    print(f'== training and testing {len(MODELS)} models x '
          f'{len(args.seeds)} seed(s), {jobs} at a time, {threads} '
          f'thread(s) each', flush=True)
    times = run_tasks(tasks, jobs, threads)

    results = read_metrics(work_dir, args.seeds)
    table = format_table(results)
    minutes = (time.time() - start) / 60
    seeds = ', '.join(map(str, args.seeds))
    note = (f'Fashion-MNIST test set, top-1 %, seed(s) {seeds}'
            f'{" (--quick: meaningless numbers)" if args.quick else ""}; '
            f'{minutes:.1f} min in all ({data_minutes:.1f} for the data); '
            + time_summary(tasks, times, jobs))
    print(f'\n{table}\n\n{note}', flush=True)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(f'{table}\n\n{note}\n')
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(seeds=args.seeds, quick=args.quick, minutes=minutes,
                       data_minutes=data_minutes, metrics=results,
                       times={name: t._asdict()
                              for name, t in times.items()}), f, indent=2)
    print(f'\n== figures (curves, confusion matrix, attention of the '
          f'{FIGURES_STUDENT}-distilled student)', flush=True)
    for seed in args.seeds:
        figures_start, figures_cpu = time.time(), children_cpu()
        written = write_figures(osp.join(work_dir, f'seed{seed}'),
                                args.quick)
        print(f'seed {seed}: {len(written)} files in '
              f'{osp.dirname(written[0])} '
              f'({time.time() - figures_start:.0f} s, CPU '
              f'{children_cpu() - figures_cpu:.0f} s)', flush=True)
    return table


def children_cpu() -> float:
    """CPU seconds (user + system) of the children waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_figures(seed_dir: str, quick: bool) -> List[str]:
    """tools/analysis_tools/demo_figures.py on one seed's runs, in a
    subprocess so that its threads and memory go with it; the files it
    wrote (under SEED_DIR/figures)."""
    out_dir = osp.join(seed_dir, 'figures')
    command = [sys.executable,
               osp.join(ROOT, 'tools', 'analysis_tools', 'demo_figures.py'),
               seed_dir, '--out-dir', out_dir, '--student', FIGURES_STUDENT,
               *(QUICK_FIGURES_OPTIONS if quick else FIGURES_OPTIONS)]
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    done = subprocess.run(command, cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        sys.exit(f'tools/demo.py: the figures of {seed_dir} failed (exit '
                 f'code {done.returncode}):\n{done.stdout[-3000:]}')
    return [line[len('wrote '):] for line in done.stdout.splitlines()
            if line.startswith('wrote ')]


if __name__ == '__main__':
    main()
