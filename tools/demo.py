"""DeiT's story on Fashion-MNIST, on a laptop CPU, in one command.

    python tools/demo.py [--quick] [--seeds 0 1 2] [--data-dir IDX_DIR]
        [--work-dir work_dirs/demo] [--jobs 2]

1. Prepares the data: the four Fashion-MNIST IDX files from ``--data-dir``,
   else from the Debian package ``dataset-fashion-mnist`` when it is
   installed, else downloaded from the official URLs; converted to an image
   folder in WORK_DIR/data/fashion_mnist.
2. Per seed, with tools/train.py and tools/test.py: trains a convnet teacher
   (RegNetY-200MF) and a DeiT student without distillation, then two
   students distilled from that teacher (soft and hard), and evaluates the
   four on the 10,000 test images.
3. Prints the accuracy table (per head for the distilled students: class
   token, distillation token, both averaged) and writes it to
   WORK_DIR/results.md and WORK_DIR/results.json.

The configs are configs/demo/*. Runs go ``--jobs`` at a time (the teacher
beside the plain student, the two distilled students once the teacher is
trained), each with an equal share of the CPU threads: on a small CPU,
single-threaded processes side by side waste less than two threads
synchronising on every layer, and such a run loads its data itself rather
than in a loader process. Training skips the configs' end-of-training
validation, since the test command evaluates the same images. ``--quick``
trains and tests on a few batches only, to check that everything runs (its
accuracies mean nothing).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

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
    Model('teacher', 'regnety-200mf_1xb128_fashion-mnist.py',
          'teacher: RegNetY-200MF (convnet)', '-', False),
    Model('student', 'deit-tiny-p7_1xb128_fashion-mnist.py',
          'student: DeiT-tiny-p7, 4 layers', 'none', False),
    Model('soft', 'deit-tiny-p7-soft-distilled_1xb128_fashion-mnist.py',
          'student, distilled', 'soft', True),
    Model('hard', 'deit-tiny-p7-hard-distilled_1xb128_fashion-mnist.py',
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
    return parser.parse_args(argv)


def prepare_data(data_dir: Optional[str], work_dir: str) -> str:
    """Convert the IDX files to an image folder; returns its path."""
    out = osp.join(work_dir, 'data', 'fashion_mnist')
    try:
        source = fashion_mnist.resolve_source(data_dir, out,
                                              allow_download=True)
    except RuntimeError as error:  # the download failed
        sys.exit(f'tools/demo.py: no Fashion-MNIST data.\n{error}')
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
            [f'seed{seed}/teacher/train'] if model.needs_teacher else []))
        tasks.append(Task(
            f'seed{seed}/{model.key}/test',
            [sys.executable, osp.join(ROOT, 'tools', 'test.py'), config,
             CheckpointIn(run_dir), '--work-dir',
             osp.join(run_dir, 'test'), '--out',
             osp.join(run_dir, 'test_metrics.json'), '--cfg-options',
             *options],
            osp.join(run_dir, 'test.log'), [train]))
    return tasks


def resolve_command(command: list) -> List[str]:
    """The command with its :class:`CheckpointIn` arguments resolved."""
    return [arg.resolve() if isinstance(arg, CheckpointIn) else arg
            for arg in command]


def run_tasks(tasks: List[Task], jobs: int, threads: int) -> None:
    """Run ``tasks`` as subprocesses, ``jobs`` at a time, each when its
    dependencies are done; stop everything at the first failure."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    waiting, running, done = list(tasks), {}, set()
    while waiting or running:
        for task in list(waiting):
            if len(running) >= jobs:
                break
            if all(dep in done for dep in task.depends):
                waiting.remove(task)
                os.makedirs(osp.dirname(task.log), exist_ok=True)
                log = open(task.log, 'w')
                process = subprocess.Popen(
                    resolve_command(task.command), cwd=ROOT, env=env,
                    stdout=log, stderr=subprocess.STDOUT)
                running[task.name] = (task, process, log, time.time())
                print(f'  started  {task.name}  (log: {task.log})',
                      flush=True)
        time.sleep(0.5)
        for name, (task, process, log, start) in list(running.items()):
            if process.poll() is None:
                continue
            log.close()
            del running[name]
            if process.returncode != 0:
                for _, other, other_log, _ in running.values():
                    other.terminate()
                    other.wait()
                    other_log.close()
                with open(task.log) as f:
                    tail = f.read()[-3000:]
                sys.exit(f'tools/demo.py: {name} failed (exit code '
                         f'{process.returncode}); the end of {task.log}:\n'
                         f'{tail}')
            done.add(name)
            print(f'  finished {name}  ({time.time() - start:.0f} s)',
                  flush=True)


def read_metrics(work_dir: str, seeds: Sequence[int]
                 ) -> Dict[str, List[Dict[str, float]]]:
    """model key -> the test metrics of each seed."""
    results = {}
    for model in MODELS:
        results[model.key] = []
        for seed in seeds:
            path = osp.join(work_dir, f'seed{seed}', model.key,
                            'test_metrics.json')
            with open(path) as f:
                results[model.key].append(json.load(f)['metrics'])
    return results


def summarise(values: List[float]) -> str:
    """'mean' for one value, 'mean ± sample std' for more."""
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def format_table(results: Dict[str, List[Dict[str, float]]]) -> str:
    """The accuracy table as Markdown: one row per model, top-1 (%) of the
    averaged heads, of each head, and the agreement with the teacher."""
    headings = ['model', 'distillation', *COLUMNS.values()]
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
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [headings] + rows)
              for i in range(len(headings))]
    lines = ['| ' + ' | '.join(f'{c:<{w}}' for c, w in zip(row, widths)) +
             ' |' for row in [headings] + rows]
    lines.insert(1, '|' + '|'.join('-' * (w + 2) for w in widths) + '|')
    return '\n'.join(lines)


def main(argv=None) -> str:
    args = parse_args(argv)
    start = time.time()
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    print('== preparing Fashion-MNIST', flush=True)
    data_root = prepare_data(args.data_dir, work_dir)

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
    run_tasks(tasks, jobs, threads)

    results = read_metrics(work_dir, args.seeds)
    table = format_table(results)
    minutes = (time.time() - start) / 60
    seeds = ', '.join(map(str, args.seeds))
    note = (f'Fashion-MNIST test set, top-1 %, seed(s) {seeds}'
            f'{" (--quick: meaningless numbers)" if args.quick else ""}; '
            f'{minutes:.1f} min in all')
    print(f'\n{table}\n\n{note}', flush=True)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(f'{table}\n\n{note}\n')
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(seeds=args.seeds, quick=args.quick, minutes=minutes,
                       metrics=results), f, indent=2)
    return table


if __name__ == '__main__':
    main()
