"""The analysis pictures of a folder of runs laid out as tools/demo.py
writes them (RUNS/<model>/ with a training log, a checkpoint, the config
mmengine saved and test_metrics.json, there or in RUNS/<model>/test/;
models teacher, student, soft, hard).

    python tools/analysis_tools/demo_figures.py RUNS [--out-dir DIR]
        [--student hard] [--images 4] [--similarity-images 500]

Writes to DIR (default RUNS/figures): curves.png (loss and lr of every
run, and the validation accuracy where logged), confusion_<student>.png
(per head; from RUNS/<student>/predictions.pth when tools/test.py kept it
with --out-item pred, else evaluated here), attention/*.png (the distilled
student on a few test images of different classes), token_similarity.png
and accuracy_table.md (every run with test metrics).
"""
import argparse
import glob
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.dirname(osp.dirname(HERE)))
sys.path.insert(0, HERE)
sys.path.insert(0, osp.join(osp.dirname(HERE), 'visualization'))

import accuracy_table  # noqa: E402
import analyze_logs  # noqa: E402
import confusion_matrix  # noqa: E402
import token_similarity  # noqa: E402
import vis_attention  # noqa: E402

MODELS = ('teacher', 'student', 'soft', 'hard')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Figures of the demo runs')
    parser.add_argument('runs', help='folder holding teacher/, student/, ...')
    parser.add_argument('--out-dir', help='default: RUNS/figures')
    parser.add_argument('--student', default='hard',
                        help='the distilled run to look inside (hard)')
    parser.add_argument('--images', type=int, default=4,
                        help='test images for the attention maps')
    parser.add_argument('--similarity-images', type=int, default=500)
    return parser.parse_args(argv)


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
    work dir RUN/test (a test run that kept its predictions with --out)."""
    for path in (osp.join(run, 'test_metrics.json'),
                 osp.join(run, 'test', 'test_metrics.json')):
        if osp.isfile(path):
            return path
    return None


def test_images(config: str, count: int) -> List[str]:
    """The first test images of ``count`` different classes."""
    from mmengine.config import Config

    from mmdeit.registry import DATASETS
    from mmdeit.utils import register_all_modules
    register_all_modules()
    dataset = DATASETS.build(Config.fromfile(config).test_dataloader.dataset)
    chosen: Dict[int, str] = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        chosen.setdefault(int(info['gt_label']), info['img_path'])
        if len(chosen) == count:
            break
    return list(chosen.values())


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    out_dir = args.out_dir or osp.join(args.runs, 'figures')
    os.makedirs(out_dir, exist_ok=True)
    runs = {name: osp.join(args.runs, name) for name in MODELS
            if osp.isdir(osp.join(args.runs, name))}
    written = []

    logs = {name: training_log(run) for name, run in runs.items()}
    logs = {name: log for name, log in logs.items() if log}
    if logs:
        curves = osp.join(out_dir, 'curves.png')
        analyze_logs.main(['plot_curve', *logs.values(), '--legend', *logs,
                           '--keys', 'loss', 'lr', '--out', curves])
        written.append(curves)

    student = runs.get(args.student)
    if student is not None:
        config, checkpoint = saved_config(student), checkpoint_of(student)
        predictions = osp.join(student, 'predictions.pth')
        confusion = osp.join(out_dir, f'confusion_{args.student}.png')
        confusion_matrix.main([
            config, predictions if osp.isfile(predictions) else checkpoint,
            '--out', confusion])
        written.append(confusion)
        written += vis_attention.main([
            config, checkpoint, *test_images(config, args.images),
            '--out-dir', osp.join(out_dir, 'attention')])
        similarity = osp.join(out_dir, 'token_similarity.png')
        token_similarity.main([
            config, checkpoint, *similarity_sample(config,
                                                   args.similarity_images),
            '--out', similarity])
        written.append(similarity)

    metrics = {name: test_metrics_of(run) for name, run in runs.items()}
    names = [name for name, path in metrics.items() if path]
    results = [metrics[name] for name in names]
    if results:
        table = osp.join(out_dir, 'accuracy_table.md')
        accuracy_table.main([*results, '--names', *names, '--out', table])
        written.append(table)
    for path in written:
        print(f'wrote {path}')
    return written


def similarity_sample(config: str, count: int) -> List[str]:
    """The first ``count`` test images."""
    from mmengine.config import Config

    from mmdeit.registry import DATASETS
    dataset = DATASETS.build(Config.fromfile(config).test_dataloader.dataset)
    return [dataset.get_data_info(i)['img_path']
            for i in range(min(count, len(dataset)))]


if __name__ == '__main__':
    main()
