"""Train a model from a config with mmengine's runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--compile] [--auto-scale-lr] [--trust-checkpoint]
        [--cfg-options key=value ...]
        [--launcher none|pytorch|slurm]

Several processes: tools/dist_train.sh (torchrun) or tools/slurm_train.sh.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmdeit.engine.optimizers import mixed_precision_cfg
from mmdeit.engine.resume import configure_resume, run_training
from mmdeit.engine.run_config import check_data
from mmdeit.registry import RUNNERS
from mmdeit.utils import (configure_cuda_transfers, finish_distributed,
                          register_all_modules, setup_cpu_distributed)
from mmdeit.utils.config_paths import named_config_errors


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go (default: '
        './work_dirs/<config name>)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a value, from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: on CUDA AmpOptimWrapper (float16 with loss '
        'scaling; bfloat16 with --cfg-options optim_wrapper.dtype=bfloat16), '
        'on the CPU bfloat16 autocast (AutocastOptimWrapper)')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile the backbone, head and teacher (config key '
        '"compile": True or a dict of torch.compile arguments)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the total batch size over '
        'auto_scale_lr.base_batch_size, for configs that do not already (the '
        'DeiT configs always do; turn it off with --cfg-options '
        'auto_scale_lr.enable=False)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_dataloader.batch_size=32')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='read the --resume/load_from checkpoint even if it needs full '
        'unpickling, which can run code: only for files you trust')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='how the processes were started')
    # torch.distributed.launch passes --local_rank (older) or --local-rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the command line into the config (``--cfg-options`` first, so
    that e.g. ``optim_wrapper.dtype=bfloat16`` combines with ``--amp``)."""
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        mixed_precision_cfg(cfg.optim_wrapper,
                            'cuda' if torch.cuda.is_available() else 'cpu')
    if args.compile:
        cfg.compile = True
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})
        cfg.auto_scale_lr.enable = True
    configure_resume(cfg, args.resume)
    if args.trust_checkpoint:
        cfg.trust_checkpoint = True
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = merge_args(Config.fromfile(args.config), args)
    setup_cpu_distributed(cfg, cfg.launcher)
    configure_cuda_transfers(cfg)  # pinned memory, non-blocking copies
    # a wrong value ends in a line naming its key, the value and what is
    # allowed
    with named_config_errors(cfg):
        # the data first: a missing dataset is told before a teacher
        # downloads
        check_data(cfg, ['train_dataloader', 'val_dataloader'])
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg \
            else Runner.from_cfg(cfg)
        run_training(runner)
    finish_distributed()


if __name__ == '__main__':
    main()
