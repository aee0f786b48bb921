"""Inference throughput of a config beside timm's same model, in one process,
against the machine's fp32 and bf16 matmul peaks.

    python tools/analysis_tools/benchmark.py CONFIG TIMM_NAME \
        [--batch-size 32] [--rounds 5] [--warmup 2] [--dtypes fp32 bf16] \
        [--threads N] [--profile] [--onnx] [--compile]

Prints the machine (CPU flags, load average), the FLOPs, and one Markdown
table of every contender (img/s, ratio to timm, fractions of the fp32 and
bf16 matmul peaks measured in the same rounds); see
:mod:`mmdeit.benchmarks.inference` for the contenders.
"""
import argparse

import torch

from mmdeit.benchmarks.inference import (PRECISIONS, InferenceSetup,
                                         run_inference_benchmark)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='zoo name or config path')
    parser.add_argument('timm_name', help='the same model in timm')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--dtypes', nargs='+', default=list(PRECISIONS),
                        choices=PRECISIONS)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch chooses)')
    parser.add_argument('--profile', action='store_true',
                        help='print the operators of one batch of each')
    parser.add_argument('--onnx', action='store_true',
                        help='also time onnxruntime on the exported model')
    parser.add_argument('--compile', action='store_true',
                        help='also time the model compiled, weights frozen')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    report = run_inference_benchmark(InferenceSetup(
        args.config, args.timm_name, args.batch_size, args.rounds,
        args.warmup, args.dtypes, args.onnx, args.compile, args.profile))
    print(report, flush=True)
    return report


if __name__ == '__main__':
    main()
