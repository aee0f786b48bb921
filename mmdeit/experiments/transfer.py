"""Transfer on Fashion-MNIST, measured (``tools/transfer_demo.py``,
docs/finetune.md): does a pre-trained DeiT fine-tune better than one trained
from scratch on few images, and does a fine-tuned teacher help while
fine-tuning?

The classes are split in two disjoint sets: 0-4 (T-shirt/top, Trouser,
Pullover, Dress, Coat) for pre-training, 5-9 (Sandal, Shirt, Sneaker, Bag,
Ankle boot, relabelled 0-4) for the transfer. Once, on all training images
of classes 0-4: the convnet teacher, the plain DeiT student and the
distilled student are pre-trained. Per seed, on ``shots`` drawn images of
each of classes 5-9: the teacher and the plain student are fine-tuned, the
student is trained from scratch with the same schedule, and the distilled
student is fine-tuned with hard distillation from the fine-tuned teacher;
each is tested on the 5,000 test images of classes 5-9. The jobs are
reused when they ran before on the same content (:mod:`.reuse`).
"""
import os
import os.path as osp
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np

from mmdeit.models.zoo import config_root
from .demo import prepare_data, quick_options
from .jobs import CheckpointIn, Task, run_tasks
from .records import new_record, write_results
from .runs import loader_options, publish_metrics, test_task, train_task
from .tables import Row

PRETRAIN_CLASSES = range(0, 5)
TRANSFER_CLASSES = range(5, 10)
PRETRAIN_ANN = 'meta/classes0-4_{split}.txt'
TRANSFER_TEST_ANN = 'meta/classes5-9_test.txt'
TRANSFER_TRAIN_ANN = 'meta/classes5-9_{shots}shot_seed{seed}.txt'
# --quick: images per transfer class, and training epochs of every run
QUICK_SHOTS = 4
QUICK_EPOCHS = 2


class Run(NamedTuple):
    """A training run of the experiment, its config in
    configs/finetune/fashion_mnist and its row in the table.

    ``init_from``: the pre-training run whose backbone it starts from;
    ``teacher_from``: the run whose checkpoint is its teacher ('pretrain/*'
    or, per seed, 'teacher').
    """
    config: str
    row: Row
    init_from: Optional[str] = None
    teacher_from: Optional[str] = None


PRETRAIN_RUNS = (
    Run('regnety-200mf_1xb128_fashion-mnist-0to4.py',
        Row('teacher', 'teacher pre-trained on classes 0-4',
            class_token=False)),
    Run('deit-tiny-p7_1xb128_fashion-mnist-0to4.py',
        Row('student', 'student pre-trained on classes 0-4')),
    Run('deit-tiny-p7-hard-distilled_1xb128_fashion-mnist-0to4.py',
        Row('distilled', 'distilled student pre-trained on classes 0-4'),
        teacher_from='pretrain/teacher'),
)
TRANSFER_RUNS = (
    Run('deit-tiny-p7_scratch-1xb50_fashion-mnist-5to9-100shot.py',
        Row('scratch', 'DeiT student, from scratch')),
    Run('deit-tiny-p7_ft-1xb50_fashion-mnist-5to9-100shot.py',
        Row('finetuned', 'DeiT student, fine-tuned'),
        init_from='pretrain/student'),
    Run('regnety-200mf_ft-1xb50_fashion-mnist-5to9-100shot.py',
        Row('teacher', 'teacher RegNetY-200MF, fine-tuned',
            class_token=False), init_from='pretrain/teacher'),
    Run('deit-tiny-p7-hard-distilled_ft-1xb50_fashion-mnist-5to9-100shot.py',
        Row('distilled', 'distilled DeiT student, fine-tuned with the '
            'fine-tuned teacher'), init_from='pretrain/distilled',
        teacher_from='teacher'),
)
REFERENCE = 'finetuned'  # the paired t-tests compare each model with it


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


def run_pair(run: Run, run_dir: str, name: str, options: list,
             depends: List[str]) -> List[Task]:
    """Train and test tasks of ``run``."""
    config = osp.join(config_root(), 'finetune', 'fashion_mnist', run.config)
    train = f'{name}/train'
    return [train_task(train, config, run_dir, options, depends),
            test_task(f'{name}/test', config, run_dir, options, [train])]


def experiment_tasks(work_dir: str, data_root: str, seeds: Sequence[int],
                     shots: int, quick: bool, loader_workers: int
                     ) -> List[Task]:
    """Pre-training tasks, then each seed's transfer tasks."""
    tasks = []
    for run in PRETRAIN_RUNS:
        options = run_options(data_root, 0, quick, loader_workers)
        depends = []
        if run.teacher_from:
            options.append(CheckpointIn(osp.join(work_dir, run.teacher_from),
                                        'model.teacher.checkpoint='))
            depends.append(f'{run.teacher_from}/train')
        tasks += run_pair(run, osp.join(work_dir, 'pretrain', run.row.key),
                          f'pretrain/{run.row.key}', options, depends)
    for seed in seeds:
        seed_dir = osp.join(work_dir, f'seed{seed}')
        for run in TRANSFER_RUNS:
            options = run_options(data_root, seed, quick, loader_workers)
            options.append('train_dataloader.dataset.ann_file=' +
                           TRANSFER_TRAIN_ANN.format(shots=shots, seed=seed))
            depends = []
            if run.init_from:
                options.append(CheckpointIn(
                    osp.join(work_dir, run.init_from),
                    'model.backbone.init_cfg.checkpoint='))
                depends.append(f'{run.init_from}/train')
            if run.teacher_from:
                options.append(CheckpointIn(
                    osp.join(seed_dir, run.teacher_from),
                    'model.teacher.checkpoint='))
                depends.append(f'seed{seed}/{run.teacher_from}/train')
            tasks += run_pair(run, osp.join(seed_dir, run.row.key),
                              f'seed{seed}/{run.row.key}', options, depends)
    return tasks


def run_options(data_root: str, seed: int, quick: bool,
                loader_workers: int) -> List[str]:
    options = loader_options(data_root, seed, 0 if quick else loader_workers)
    if quick:
        options += quick_options() + [f'train_cfg.max_epochs={QUICK_EPOCHS}']
    return options


def read_metrics(work_dir: str, seeds: Sequence[int]
                 ) -> Dict[str, List[dict]]:
    """transfer run key -> the test metrics of each seed, each also written
    to ``seedN/<run>/test_metrics.json`` (and those of the pre-training runs
    to ``pretrain/<run>/test_metrics.json``)."""
    publish_metrics([osp.join(work_dir, 'pretrain', run.row.key)
                     for run in PRETRAIN_RUNS])
    results = {}
    for run in TRANSFER_RUNS:
        run_dirs = [osp.join(work_dir, f'seed{seed}', run.row.key)
                    for seed in seeds]
        published = publish_metrics(run_dirs)
        results[run.row.key] = [published[run_dir] for run_dir in run_dirs]
    return results


def run(seeds: Sequence[int] = (0, 1, 2), shots: int = 100,
        quick: bool = False, data_dir: Optional[str] = None,
        work_dir: str = 'work_dirs/transfer', jobs: int = 2,
        command: str = 'python tools/transfer_demo.py') -> dict:
    """The experiment; returns its record (:mod:`.records`)."""
    start = time.time()
    if quick:
        shots = QUICK_SHOTS
    work_dir = osp.abspath(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    print('== preparing Fashion-MNIST', flush=True)
    data_root = prepare_data(data_dir, work_dir)
    write_splits(data_root, shots, seeds)

    jobs = max(1, jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    tasks = experiment_tasks(work_dir, data_root, seeds, shots, quick,
                             0 if threads == 1 else 1)
    # training first, so that a free slot goes to the next training run
    tasks.sort(key=lambda task: task.name.endswith('/test'))
    print(f'== {len(PRETRAIN_RUNS)} pre-training runs, then '
          f'{len(TRANSFER_RUNS)} transfer runs x {len(seeds)} seed(s), '
          f'{jobs} at a time, {threads} thread(s) each', flush=True)
    times = run_tasks(tasks, jobs, threads, cwd=str(config_root().parent))

    results = read_metrics(work_dir, seeds)
    minutes = (time.time() - start) / 60
    cpu_minutes = sum(t.cpu for t in times.values()) / 60
    record = new_record(
        'transfer', command,
        f'Fashion-MNIST classes 5-9, {shots} training images per class, '
        'top-1 % on their test images',
        [run.row for run in TRANSFER_RUNS], (), REFERENCE,
        'fine-tuned student', seeds, results,
        root=str(config_root().parent), quick=quick, shots=shots,
        time=f'{minutes:.1f} min in all, {cpu_minutes:.1f} CPU-min of the '
        f'{len(times)} jobs',
        times={name: t._asdict() for name, t in times.items()})
    print('\n' + write_results(work_dir, record), flush=True)
    return record
