"""Record a config's teacher labels without training a student, e.g. once
on a machine with a GPU, for every later run of the same batches to replay.

    python tools/analysis_tools/record_teacher.py CONFIG --cache DIR
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm]

Several processes record one shard each, as the training run that replays
them must have (tools/dist_train.sh's torchrun line with this script). The
labels land in DIR/<fingerprint>/ (docs/distillation.md); epochs already
recorded are left as they are, an interrupted recording goes on.
"""
import argparse
import os

from mmengine.config import Config, DictAction

from mmdeit.engine import ReliableRunner
from mmdeit.engine.teacher_recording import record_teacher_labels
from mmdeit.utils import (finish_distributed, register_all_modules,
                          setup_cpu_distributed)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a distillation config (hard or soft)')
    parser.add_argument('--cache', required=True,
                        help='folder of recorded labels (model.teacher.cache)')
    parser.add_argument('--work-dir', default=None,
                        help='for the log (default: a record_teacher folder '
                        'under ./work_dirs)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, as tools/train.py')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.teacher.cache = args.cache
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or os.path.join(
        'work_dirs', 'record_teacher',
        os.path.splitext(os.path.basename(args.config))[0])
    setup_cpu_distributed(cfg, args.launcher)
    runner = ReliableRunner.from_cfg(cfg)
    counts = record_teacher_labels(runner)
    runner.logger.info(
        f'teacher labels in {counts["folder"]}: {counts["epochs"]} epochs, '
        f'{counts["recorded"]} batches recorded now, {counts["present"]} '
        'were already there')
    finish_distributed()


if __name__ == '__main__':
    main()
