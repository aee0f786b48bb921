"""Transfer on Fashion-MNIST, measured: does a pre-trained DeiT fine-tune
better than one trained from scratch on few images, and does a fine-tuned
teacher help while fine-tuning?

    python tools/transfer_demo.py [--quick] [--seeds 0 1 2] [--shots 100]
        [--data-dir IDX_DIR] [--work-dir work_dirs/transfer] [--jobs 2]
        [--keep-finished]

1. Prepares the data as tools/demo.py does (IDX files from ``--data-dir``,
   the Debian package ``dataset-fashion-mnist`` or the official URLs,
   converted to WORK_DIR/data/fashion_mnist), and splits the classes in
   two disjoint sets: 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat) for
   pre-training, 5-9 (Sandal, Shirt, Sneaker, Bag, Ankle boot, relabelled
   0-4) for the transfer. Per seed, ``--shots`` training images of each
   transfer class are drawn.
2. Pre-trains, once, on all 30,000 training images of classes 0-4: the
   convnet teacher (RegNetY-200MF), the plain DeiT student and the
   distilled student (hard distillation from that teacher), the demo's
   models and schedule.
3. Per seed, on the drawn images of classes 5-9: fine-tunes the teacher,
   fine-tunes the plain student, trains the same student from scratch
   with the same schedule, and fine-tunes the distilled student with hard
   distillation from the fine-tuned teacher (the two-stage recipe). Each is
   tested on the 5,000 test images of classes 5-9.
4. Prints the accuracy table (mean ± std over the seeds) and writes it to
   WORK_DIR/results.md and WORK_DIR/results.json.

The configs are configs/finetune/fashion_mnist/*. ``--quick`` trains and
tests on a few images for two epochs, to check that everything runs (its
accuracies mean nothing). ``--keep-finished`` continues an interrupted
experiment in the same WORK_DIR, with the same options: runs that saved
their checkpoint, and tests that wrote their metrics, are not run again.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools'))

import demo  # noqa: E402
from demo import CheckpointIn, Task  # noqa: E402

CONFIG_DIR = osp.join(ROOT, 'configs', 'finetune', 'fashion_mnist')
PRETRAIN_CLASSES = range(0, 5)
TRANSFER_CLASSES = range(5, 10)
PRETRAIN_ANN = 'meta/classes0-4_{split}.txt'
TRANSFER_TEST_ANN = 'meta/classes5-9_test.txt'
TRANSFER_TRAIN_ANN = 'meta/classes5-9_{shots}shot_seed{seed}.txt'
# --quick: images per transfer class, and training epochs of every run
QUICK_SHOTS = 4
QUICK_EPOCHS = 2


class Run(NamedTuple):
    """A training run of the experiment and its row in the table.

    ``init_from``: the pre-training run whose backbone it starts from;
    ``teacher_from``: the run whose checkpoint is its teacher ('pretrain/*'
    or, per seed, 'teacher').
    """
    key: str
    config: str
    label: str
    init_from: Optional[str] = None
    teacher_from: Optional[str] = None


PRETRAIN_RUNS = (
    Run('teacher', 'regnety-200mf_1xb128_fashion-mnist-0to4.py',
        'teacher pre-trained on classes 0-4'),
    Run('student', 'deit-tiny-p7_1xb128_fashion-mnist-0to4.py',
        'student pre-trained on classes 0-4'),
    Run('distilled', 'deit-tiny-p7-hard-distilled_1xb128_fashion-mnist-0to4.py',
        'distilled student pre-trained on classes 0-4',
        teacher_from='pretrain/teacher'),
)
TRANSFER_RUNS = (
    Run('scratch', 'deit-tiny-p7_scratch-1xb50_fashion-mnist-5to9-100shot.py',
        'DeiT student, from scratch'),
    Run('finetuned', 'deit-tiny-p7_ft-1xb50_fashion-mnist-5to9-100shot.py',
        'DeiT student, fine-tuned', init_from='pretrain/student'),
    Run('teacher', 'regnety-200mf_ft-1xb50_fashion-mnist-5to9-100shot.py',
        'teacher RegNetY-200MF, fine-tuned', init_from='pretrain/teacher'),
    Run('distilled',
        'deit-tiny-p7-hard-distilled_ft-1xb50_fashion-mnist-5to9-100shot.py',
        'distilled DeiT student, fine-tuned with the fine-tuned teacher',
        init_from='pretrain/distilled', teacher_from='teacher'),
)
COLUMNS = {
    'accuracy/top1': 'top-1 (both heads)',
    'accuracy/top1_cls': 'class token',
    'accuracy/top1_dist': 'distillation token',
    'accuracy/teacher_agreement': 'agrees with teacher',
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Fine-tune pre-trained DeiT students on unseen '
        'Fashion-MNIST classes, against training from scratch and with a '
        'fine-tuned teacher')
    parser.add_argument('--quick', action='store_true',
                        help=f'{QUICK_SHOTS} images per class, '
                        f'{QUICK_EPOCHS} epochs: a check that everything '
                        'runs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='one draw of the transfer images and one set '
                        'of transfer runs per seed (default: 0 1 2)')
    parser.add_argument('--shots', type=int, default=100,
                        help='training images per transfer class '
                        '(default: %(default)s)')
    parser.add_argument('--data-dir',
                        help='folder of the four Fashion-MNIST IDX files '
                        '(default: as tools/demo.py)')
    parser.add_argument('--work-dir', default='work_dirs/transfer',
                        help='where data, runs and results go '
                        '(default: %(default)s)')
    parser.add_argument('--jobs', type=int, default=2,
                        help='runs at a time (default: %(default)s)')
    parser.add_argument('--keep-finished', action='store_true',
                        help='continue an interrupted run of the same '
                        'options: skip the runs and tests of WORK_DIR that '
                        'finished')
    return parser.parse_args(argv)


def read_ann_file(path: str) -> List[tuple]:
    """``(image path, class index)`` of each '<path> <index>' line."""
    with open(path) as f:
        pairs = [line.rsplit(maxsplit=1) for line in f if line.strip()]
    return [(image, int(label)) for image, label in pairs]


def write_ann_file(path: str, samples: Sequence[tuple]) -> None:
    with open(path, 'w') as f:
        f.writelines(f'{image} {label}\n' for image, label in samples)


def select(samples: Sequence[tuple], classes: range) -> List[tuple]:
    """The samples of ``classes``, relabelled from 0 in their order."""
    return [(image, label - classes.start) for image, label in samples
            if label in classes]


def draw_shots(samples: Sequence[tuple], shots: int, seed: int
               ) -> List[tuple]:
    """``shots`` samples of each class, drawn with ``seed``, in file
    order."""
    rng = np.random.default_rng(seed)
    labels = np.array([label for _, label in samples])
    chosen = []
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        if len(where) < shots:
            raise ValueError(f'class {label} has {len(where)} training '
                             f'images, fewer than --shots {shots}')
        chosen.extend(rng.choice(where, shots, replace=False))
    return [samples[i] for i in sorted(chosen)]


def write_splits(data_root: str, shots: int, seeds: Sequence[int]) -> None:
    """The annotation files of the experiment, next to the converter's
    meta/train.txt and meta/test.txt."""
    train = read_ann_file(osp.join(data_root, 'meta', 'train.txt'))
    test = read_ann_file(osp.join(data_root, 'meta', 'test.txt'))
    for split, samples in (('train', train), ('test', test)):
        write_ann_file(osp.join(data_root, PRETRAIN_ANN.format(split=split)),
                       select(samples, PRETRAIN_CLASSES))
    write_ann_file(osp.join(data_root, TRANSFER_TEST_ANN),
                   select(test, TRANSFER_CLASSES))
    transfer_train = select(train, TRANSFER_CLASSES)
    for seed in seeds:
        write_ann_file(
            osp.join(data_root,
                     TRANSFER_TRAIN_ANN.format(shots=shots, seed=seed)),
            draw_shots(transfer_train, shots, seed))


def run_tasks(run: Run, run_dir: str, name: str, options: list,
              depends: List[str]) -> List[Task]:
    """Train and test commands of ``run``."""
    config = osp.join(CONFIG_DIR, run.config)
    train = f'{name}/train'
    return [
        Task(train,
             [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
              '--work-dir', run_dir, '--cfg-options', *options,
              *demo.NO_VALIDATION],
             osp.join(run_dir, 'train.log'), depends),
        Task(f'{name}/test',
             [sys.executable, osp.join(ROOT, 'tools', 'test.py'), config,
              CheckpointIn(run_dir), '--work-dir',
              osp.join(run_dir, 'test'), '--out',
              osp.join(run_dir, 'test_metrics.json'), '--cfg-options',
              *options],
             osp.join(run_dir, 'test.log'), [train]),
    ]


def experiment_tasks(args: argparse.Namespace, work_dir: str,
                     data_root: str, loader_workers: int) -> List[Task]:
    """Pre-training tasks, then each seed's transfer tasks."""
    quick = ['train_cfg.max_epochs=' + str(QUICK_EPOCHS)] if args.quick \
        else []
    tasks = []
    for run in PRETRAIN_RUNS:
        teacher_run = osp.join(work_dir, run.teacher_from) \
            if run.teacher_from else None
        options = demo.config_options(data_root, args.quick, 0, teacher_run,
                                      loader_workers) + quick
        tasks += run_tasks(
            run, osp.join(work_dir, 'pretrain', run.key),
            f'pretrain/{run.key}', options,
            [f'{run.teacher_from}/train'] if run.teacher_from else [])
    for seed in args.seeds:
        seed_dir = osp.join(work_dir, f'seed{seed}')
        for run in TRANSFER_RUNS:
            teacher_run = osp.join(seed_dir, run.teacher_from) \
                if run.teacher_from else None
            options = demo.config_options(data_root, args.quick, seed,
                                          teacher_run, loader_workers)
            options += quick + [
                'train_dataloader.dataset.ann_file=' +
                TRANSFER_TRAIN_ANN.format(shots=args.shots, seed=seed)]
            depends = []
            if run.init_from:
                options.append(CheckpointIn(
                    osp.join(work_dir, run.init_from),
                    'model.backbone.init_cfg.checkpoint='))
                depends.append(f'{run.init_from}/train')
            if run.teacher_from:
                depends.append(f'seed{seed}/{run.teacher_from}/train')
            tasks += run_tasks(run, osp.join(seed_dir, run.key),
                               f'seed{seed}/{run.key}', options, depends)
    return tasks


def is_finished(task: Task) -> bool:
    """Whether ``task``'s result is in its run folder: the test metrics
    of a test, the checkpoint a training run saves at its end (the only one
    these configs save) of a training run."""
    run_dir = osp.dirname(task.log)
    if task.name.endswith('/test'):
        return osp.isfile(osp.join(run_dir, 'test_metrics.json'))
    pointer = osp.join(run_dir, 'last_checkpoint')
    return osp.isfile(pointer) and osp.isfile(CheckpointIn(run_dir).resolve())


def unfinished(tasks: List[Task]) -> List[Task]:
    """The tasks still to run, without their dependencies on finished
    ones."""
    todo = [task for task in tasks if not is_finished(task)]
    names = {task.name for task in todo}
    return [task._replace(depends=[d for d in task.depends if d in names])
            for task in todo]


def read_metrics(work_dir: str, seeds: Sequence[int]
                 ) -> Dict[str, List[Dict[str, float]]]:
    """transfer run key -> the test metrics of each seed."""
    results = {}
    for run in TRANSFER_RUNS:
        results[run.key] = []
        for seed in seeds:
            path = osp.join(work_dir, f'seed{seed}', run.key,
                            'test_metrics.json')
            with open(path) as f:
                results[run.key].append(json.load(f)['metrics'])
    return results


def format_table(results: Dict[str, List[Dict[str, float]]]) -> str:
    """Markdown: one row per transfer run, top-1 (%) as mean ± std."""
    headings = ['model (classes 5-9)', *COLUMNS.values()]
    rows = []
    for run in TRANSFER_RUNS:
        row = [run.label]
        for metric in COLUMNS:
            values = [metrics[metric] for metrics in results[run.key]
                      if metric in metrics]
            row.append(demo.summarise(values) if values else '-')
        rows.append(row)
    widths = [max(len(row[i]) for row in [headings] + rows)
              for i in range(len(headings))]
    lines = ['| ' + ' | '.join(f'{cell:<{width}}' for cell, width in
                               zip(row, widths)) + ' |'
             for row in [headings] + rows]
    lines.insert(1, '|' + '|'.join('-' * (w + 2) for w in widths) + '|')
    return '\n'.join(lines)


def main(argv=None) -> str:
    args = parse_args(argv)
    start, cpu_start = time.time(), os.times()
    if args.quick:
        args.shots = QUICK_SHOTS
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    print('== preparing Fashion-MNIST', flush=True)
    data_root = demo.prepare_data(args.data_dir, work_dir)
    write_splits(data_root, args.shots, args.seeds)

    jobs = max(1, args.jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    tasks = experiment_tasks(args, work_dir, data_root,
                             0 if threads == 1 else 1)
    if args.keep_finished:
        kept = len(tasks)
        tasks = unfinished(tasks)
        print(f'== keeping {kept - len(tasks)} finished runs and tests',
              flush=True)
    # training first, so that a free slot goes to the next training run
    tasks.sort(key=lambda task: task.name.endswith('/test'))
    print(f'== {len(PRETRAIN_RUNS)} pre-training runs, then '
          f'{len(TRANSFER_RUNS)} transfer runs x {len(args.seeds)} seed(s), '
          f'{jobs} at a time, {threads} thread(s) each', flush=True)
    demo.run_tasks(tasks, jobs, threads)

    results = read_metrics(work_dir, args.seeds)
    table = format_table(results)
    minutes = (time.time() - start) / 60
    cpu_end = os.times()
    cpu_minutes = (cpu_end.children_user + cpu_end.children_system -
                   cpu_start.children_user - cpu_start.children_system) / 60
    seeds = ', '.join(map(str, args.seeds))
    note = (f'Fashion-MNIST classes 5-9, {args.shots} training images per '
            f'class, top-1 % on their test images, seed(s) {seeds}'
            f'{" (--quick: meaningless numbers)" if args.quick else ""}; '
            f'{minutes:.1f} min in all, {cpu_minutes:.1f} CPU-minutes of '
            'the runs')
    print(f'\n{table}\n\n{note}', flush=True)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(f'{table}\n\n{note}\n')
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(seeds=args.seeds, shots=args.shots, quick=args.quick,
                       minutes=minutes, cpu_minutes=cpu_minutes,
                       metrics=results), f, indent=2)
    return table


if __name__ == '__main__':
    main()
