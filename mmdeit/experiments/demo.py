"""The demo: DeiT's distillation on Fashion-MNIST, on a CPU
(``tools/demo.py``, docs/demo.md).

Per seed: a convnet teacher and a DeiT student without distillation train
side by side, then two students distilled from that teacher (soft and
hard); the four are tested on the 10,000 test images, and the pictures of
the hard student are drawn. The jobs are reused when they ran before on
the same content (:mod:`.reuse`).
"""
import os
import os.path as osp
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

from mmdeit.datasets import fashion_mnist
from mmdeit.models.zoo import config_root
from .jobs import CheckpointIn, JobTime, Task, run_tasks, schedule_length
from .records import new_record, write_results
from .runs import (loader_options, publish_metrics, test_task, tool,
                   train_task)
from .tables import Row


class Model(NamedTuple):
    """A model of the demo: its config in configs/demo, its row in the
    table, whether it learns from the teacher."""
    key: str
    config: str
    row: Row
    needs_teacher: bool = False


MODELS = {model.key: model for model in (
    Model('teacher', 'regnetx-w48_1xb32-12ep_fashion-mnist-10k.py',
          Row('teacher', 'teacher: RegNetX-w48 (convnet)', ('-', ),
              class_token=False)),
    Model('student', 'deit-p7-w128_1xb128-8ep_fashion-mnist-10k.py',
          Row('student', 'student: DeiT-p7, 128 dims, 4 layers',
              ('none', ))),
    Model('soft',
          'deit-p7-w128-soft-distilled_1xb128-8ep_fashion-mnist-10k.py',
          Row('soft', 'student, distilled', ('soft', )), True),
    Model('hard',
          'deit-p7-w128-hard-distilled_1xb128-8ep_fashion-mnist-10k.py',
          Row('hard', 'student, distilled', ('hard', )), True),
    # the plain student with flips as its only augmentation: what strong
    # crops cost it (not in the default run)
    Model('flips', 'deit-p7-w128-flips_1xb128-8ep_fashion-mnist-10k.py',
          Row('flips', 'student, flips only', ('none', ))),
)}
DEFAULT_MODELS = ('teacher', 'student', 'soft', 'hard')
HEADINGS = ('distillation', )
REFERENCE = 'student'  # the paired t-tests compare each model with it
# --quick: images trained on / tested on, the batch size.
QUICK_TRAIN_IMAGES = 48
QUICK_TEST_IMAGES = 64
QUICK_BATCH = 16
# The distilled student whose attention, tokens and confusion matrix the
# figures show, and the figures' settings (--quick: lighter).
FIGURES_STUDENT = 'hard'
FIGURES_OPTIONS = ('--images', '4', '--similarity-images', '500')
QUICK_FIGURES_OPTIONS = ('--images', '2', '--similarity-images', '64')


def prepare_data(data_dir: Optional[str], work_dir: str) -> str:
    """Find the IDX files (the folder given, files on the machine, the
    official URLs, the Debian package: each step printed) and convert them
    to WORK_DIR/data/fashion_mnist; returns that folder. Raises
    :class:`mmdeit.datasets.fashion_mnist.DataUnavailable` saying what to
    do when no source works."""
    out = osp.join(work_dir, 'data', 'fashion_mnist')
    source = fashion_mnist.resolve_source(data_dir, out, allow_download=True,
                                          report=fashion_mnist.print_step)
    print(f'Fashion-MNIST IDX files: {source}', flush=True)
    fashion_mnist.convert(source, out)
    return out


def quick_options() -> List[str]:
    """``--cfg-options`` of ``--quick``: a few images, one epoch (a tenth
    of it warming up)."""
    options = [f'train_dataloader.dataset.indices={QUICK_TRAIN_IMAGES}',
               f'test_dataloader.dataset.indices={QUICK_TEST_IMAGES}',
               'train_cfg.max_epochs=1', 'param_scheduler.0.warmup_length=0.1',
               'default_hooks.logger.interval=1']
    return options + [f'{loader}.batch_size={QUICK_BATCH}'
                      for loader in ('train_dataloader', 'test_dataloader')]


def seed_tasks(seed: int, models: Sequence[str], work_dir: str,
               data_root: str, quick: bool, loader_workers: int
               ) -> List[Task]:
    """Train and test tasks of one seed's models, and its figures."""
    seed_dir = osp.join(work_dir, f'seed{seed}')
    teacher_run = osp.join(seed_dir, 'teacher')
    shared = loader_options(data_root, seed, 0 if quick else loader_workers)
    if quick:
        shared += quick_options()
    tasks = []
    for key in models:
        model = MODELS[key]
        run_dir = osp.join(seed_dir, key)
        config = osp.join(config_root(), 'demo', model.config)
        options = list(shared)
        depends = []
        if model.needs_teacher:
            options.append(CheckpointIn(teacher_run,
                                        'model.teacher.checkpoint='))
            depends.append(f'seed{seed}/teacher/train')
        train = f'seed{seed}/{key}/train'
        tasks.append(train_task(train, config, run_dir, options, depends))
        # the figures' confusion matrix reuses the student's predictions
        # rather than evaluating it again
        predictions = osp.join(run_dir, 'predictions.pth') \
            if key == FIGURES_STUDENT else None
        tasks.append(test_task(f'seed{seed}/{key}/test', config, run_dir,
                               options, [train], predictions))
    if FIGURES_STUDENT in models:
        tasks.append(figures_task(seed_dir, [t.name for t in tasks], quick))
    return tasks


def figures_task(seed_dir: str, depends: List[str], quick: bool) -> Task:
    """tools/analysis_tools/demo_figures.py on one seed's runs, in a
    process of its own so that its threads and memory go with it."""
    script = tool(osp.join('analysis_tools', 'demo_figures.py'))
    name = f'{osp.basename(seed_dir)}/figures'
    command = [sys.executable, script, seed_dir, '--out-dir',
               osp.join(seed_dir, 'figures'), '--student', FIGURES_STUDENT,
               *(QUICK_FIGURES_OPTIONS if quick else FIGURES_OPTIONS)]
    return Task(name, command, osp.join(seed_dir, 'figures.log'),
                tuple(depends),
                code=(script, osp.join(osp.dirname(__file__), 'figures.py')))


def read_metrics(work_dir: str, seeds: Sequence[int], models: Sequence[str]
                 ) -> Dict[str, List[dict]]:
    """model key -> the test metrics of each seed, each also written to
    ``seedN/<model>/test_metrics.json``."""
    results = {}
    for key in models:
        run_dirs = [osp.join(work_dir, f'seed{seed}', key) for seed in seeds]
        published = publish_metrics(run_dirs)
        results[key] = [published[run_dir] for run_dir in run_dirs]
    return results


def time_summary(tasks: Sequence[Task], times: Dict[str, JobTime],
                 jobs: int, minutes: float, data_minutes: float) -> str:
    """The wall time, the jobs' CPU time and the wall time it implies on an
    idle machine (each single-threaded job as long as its CPU time, ``jobs``
    cores)."""
    cpu = sum(t.cpu for t in times.values())
    idle = schedule_length(tasks, {n: t.cpu for n, t in times.items()}, jobs)
    return (f'{minutes:.1f} min in all ({data_minutes:.1f} for the data); '
            f'{cpu / 60:.1f} CPU-min (user + system) over {len(times)} '
            f'jobs, on {jobs} idle cores about {idle / 60:.1f} min')


def run(seeds: Sequence[int] = (0, ), models: Sequence[str] = DEFAULT_MODELS,
        quick: bool = False, data_dir: Optional[str] = None,
        work_dir: str = 'work_dirs/demo', jobs: int = 2,
        data_only: bool = False, command: str = 'python tools/demo.py'
        ) -> Optional[dict]:
    """The demo; returns its record (:mod:`.records`), or None with
    ``data_only``."""
    start = time.time()
    work_dir = osp.abspath(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    print('== preparing Fashion-MNIST', flush=True)
    data_root = prepare_data(data_dir, work_dir)
    if data_only:
        return None
    data_minutes = (time.time() - start) / 60
    models = [key for key in MODELS if key in models]
    if any(MODELS[key].needs_teacher for key in models) and \
            'teacher' not in models:
        models.insert(0, 'teacher')

    jobs = max(1, jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    tasks = [task for seed in seeds
             for task in seed_tasks(seed, models, work_dir, data_root, quick,
                                    0 if threads == 1 else 1)]
    # training first: a free slot goes to the next student, the longer
    # work, before the tests and the figures
    tasks.sort(key=lambda task: not task.name.endswith('/train'))
    print(f'== training and testing {len(models)} models x {len(seeds)} '
          f'seed(s), {jobs} at a time, {threads} thread(s) each', flush=True)
    times = run_tasks(tasks, jobs, threads, cwd=str(config_root().parent))

    results = read_metrics(work_dir, seeds, models)
    minutes = (time.time() - start) / 60
    record = new_record(
        'demo', command, 'Fashion-MNIST test set, top-1 %',
        [MODELS[key].row for key in models], HEADINGS,
        REFERENCE if REFERENCE in models else None, 'plain student', seeds,
        results,
        root=str(config_root().parent), quick=quick,
        time=time_summary(tasks, times, jobs, minutes, data_minutes),
        times={name: t._asdict() for name, t in times.items()})
    print('\n' + write_results(work_dir, record), flush=True)
    if FIGURES_STUDENT in models:
        for seed in seeds:
            print(f'seed {seed}: figures in '
                  f'{osp.join(work_dir, f"seed{seed}", "figures")}',
                  flush=True)
    return record

