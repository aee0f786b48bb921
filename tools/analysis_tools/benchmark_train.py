"""Training-step throughput of a config beside timm's same model, in one
process, against the machine's fp32 and bf16 matmul peaks.

    python tools/analysis_tools/benchmark_train.py [CONFIG] [TIMM_NAME] \
        [--batch-size 64] [--rounds 3] [--steps 2] [--warmup 1] \
        [--dtypes fp32 bf16] [--threads N] [--profile] [--compile] \
        [--variant KEY=VALUE ...]

Prints the machine (CPU flags, load average), the FLOPs, one Markdown table
of every contender (img/s, ratio to timm in the same precision, fractions
of the fp32 and bf16 matmul peaks measured in the same rounds) and mmdeit's
bf16 step against its fp32 step; see :mod:`mmdeit.benchmarks.training` for
the contenders. ``--compile`` adds the config's model with ``compile =
True``; ``--variant optim_wrapper.optimizer.fused=False`` adds the model
with that config change (a before/after in one run).
"""
import argparse

import torch
from mmengine.config import DictAction

from mmdeit.benchmarks.training import (DTYPES, TrainingSetup,
                                        run_training_benchmark)


def parse_args(argv=None):
    defaults = TrainingSetup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default=defaults.config,
                        help='zoo name or config path')
    parser.add_argument('timm_name', nargs='?', default=defaults.timm_name,
                        help='the same model in timm')
    parser.add_argument('--batch-size', type=int, default=defaults.batch_size)
    parser.add_argument('--rounds', type=int, default=defaults.rounds)
    parser.add_argument('--steps', type=int, default=defaults.steps,
                        help='training steps timed per round')
    parser.add_argument('--warmup', type=int, default=defaults.warmup)
    parser.add_argument('--dtypes', nargs='+', default=list(DTYPES),
                        choices=list(DTYPES))
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch chooses)')
    parser.add_argument('--profile', action='store_true',
                        help='print the operators of one step of each')
    parser.add_argument('--compile', action='store_true',
                        help='add the model compiled (compile=True)')
    parser.add_argument('--variant', nargs='+', action=DictAction,
                        help='add the model with these config changes')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    report = run_training_benchmark(TrainingSetup(
        args.config, args.timm_name, args.batch_size, args.rounds,
        args.steps, args.warmup, args.dtypes, args.compile, args.variant,
        args.profile))
    print(report, flush=True)
    return report


if __name__ == '__main__':
    main()
