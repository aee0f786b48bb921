"""The pictures of a folder of demo runs (``RUNS/<model>/`` as the demo
writes them: a training log, the checkpoint, the config mmengine saved and
``test_metrics.json``, there or in ``RUNS/<model>/test/``; models teacher,
student, soft, hard): curves of every run, the confusion matrix per head,
attention maps and token similarity of one distilled student, and the
accuracy table of every run. ``tools/analysis_tools/demo_figures.py``."""
import glob
import os
import os.path as osp
from typing import Dict, List, Optional

from mmdeit.apis.analysis import (draw_attention, draw_confusion,
                                  save_figure, token_similarity)
from mmdeit.evaluation.tables import read_results, runs_table
from mmdeit.models.zoo import load_config
from mmdeit.registry import DATASETS
from mmdeit.utils import register_all_modules
from mmdeit.visualization import logs_figure, similarity_figure

MODELS = ('teacher', 'student', 'soft', 'hard', 'flips')


def saved_config(run: str) -> str:
    """The config mmengine wrote into the run's folder (overrides in)."""
    configs = sorted(glob.glob(osp.join(run, '*.py')))
    if not configs:
        raise FileNotFoundError(f'{run} holds no saved config (*.py)')
    return configs[0]


def checkpoint_of(run: str) -> str:
    pointer = osp.join(run, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            return f.read().strip()
    checkpoints = sorted(glob.glob(osp.join(run, 'epoch_*.pth')))
    if not checkpoints:
        raise FileNotFoundError(f'{run} holds no checkpoint')
    return checkpoints[-1]


def training_log(run: str) -> Optional[str]:
    """The latest scalars file of the run that holds training records (a
    test run in the same folder writes one without)."""
    logs = sorted(glob.glob(osp.join(run, '*', 'vis_data', 'scalars.json')))
    for log in reversed(logs):
        with open(log) as f:
            if any('"lr"' in line for line in f):
                return log
    return None


def test_metrics_of(run: str) -> Optional[str]:
    """RUN/test_metrics.json, else the one tools/test.py wrote into its
    work dir RUN/test."""
    for path in (osp.join(run, 'test_metrics.json'),
                 osp.join(run, 'test', 'test_metrics.json')):
        if osp.isfile(path):
            return path
    return None


def test_images(config: str, count: int, per_class: bool) -> List[str]:
    """The first ``count`` test images, or with ``per_class`` the first of
    ``count`` different classes."""
    register_all_modules()
    dataset = DATASETS.build(load_config(config).test_dataloader.dataset)
    chosen: Dict[int, str] = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        key = int(info['gt_label']) if per_class else index
        chosen.setdefault(key, info['img_path'])
        if len(chosen) == count:
            break
    return list(chosen.values())


def student_figures(run: str, name: str, out_dir: str, images: int,
                    similarity_images: int) -> List[str]:
    """Confusion matrix, attention maps and token similarity of one
    distilled student's run."""
    config, checkpoint = saved_config(run), checkpoint_of(run)
    predictions = osp.join(run, 'predictions.pth')
    confusion = osp.join(out_dir, f'confusion_{name}.png')
    draw_confusion(config, predictions if osp.isfile(predictions)
                   else checkpoint, confusion)
    written = [confusion]
    written += draw_attention(config, checkpoint,
                              test_images(config, images, per_class=True),
                              osp.join(out_dir, 'attention'))
    result = token_similarity(
        config, checkpoint,
        test_images(config, similarity_images, per_class=False))
    written.append(save_figure(
        similarity_figure(result, title=osp.basename(config)),
        osp.join(out_dir, 'token_similarity.png')))
    return written


def demo_figures(runs: str, out_dir: Optional[str] = None,
                 student: str = 'hard', images: int = 4,
                 similarity_images: int = 500) -> List[str]:
    """Write the pictures of the runs in ``runs`` into ``out_dir``
    (default RUNS/figures): curves.png, confusion_<student>.png (from the
    predictions its test kept, else evaluated here), attention/*.png,
    token_similarity.png, accuracy_table.md. Returns the files written."""
    out_dir = out_dir or osp.join(runs, 'figures')
    os.makedirs(out_dir, exist_ok=True)
    folders = {name: osp.join(runs, name) for name in MODELS
               if osp.isdir(osp.join(runs, name))}
    written = []
    logs = {name: training_log(run) for name, run in folders.items()}
    logs = {name: log for name, log in logs.items() if log}
    if logs:
        written.append(save_figure(
            logs_figure(list(logs.values()), list(logs), ['loss', 'lr']),
            osp.join(out_dir, 'curves.png')))
    if student in folders:
        written += student_figures(folders[student], student, out_dir,
                                   images, similarity_images)
    results = {name: test_metrics_of(run) for name, run in folders.items()}
    results = [f'{name}={path}' for name, path in results.items() if path]
    if results:
        table = osp.join(out_dir, 'accuracy_table.md')
        with open(table, 'w') as f:
            f.write(runs_table(read_results(results)) + '\n')
        written.append(table)
    return written
