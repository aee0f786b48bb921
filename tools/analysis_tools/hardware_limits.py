"""What the machine can do at most: its CPU flags and load, and the fp32 and
bf16 matmul peaks at a model's own linear-layer shapes.

    python tools/analysis_tools/hardware_limits.py [CONFIG] [--batch-size 32]
        [--dtypes fp32 bf16] [--train] [--threads N]

The logic lives in :mod:`mmdeit.benchmarks.hardware` (the model benchmarks
measure the same peaks between their rounds).
"""
import argparse

import torch

from mmdeit.apis import get_model
from mmdeit.benchmarks.hardware import (describe_machine, format_shapes,
                                        linear_shapes, matmul_peak,
                                        with_backward)
from mmdeit.benchmarks.timing import PEAK_DTYPES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?',
                        default='deit-small-distilled_pt-4xb256_in1k',
                        help='zoo name or config path')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--dtypes', nargs='+', default=list(PEAK_DTYPES),
                        choices=list(PEAK_DTYPES))
    parser.add_argument('--train', action='store_true',
                        help='add the shapes of the backward products')
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = get_model(args.config)
    batch = torch.randn(args.batch_size, 3, *model.backbone.img_size)
    with torch.no_grad():
        shapes = linear_shapes(model, lambda: model(batch))
    if args.train:
        shapes = with_backward(shapes)
    print(f'{describe_machine()}\n{args.config}, batch {args.batch_size}: '
          f'linear shapes {format_shapes(shapes)}')
    peaks = {}
    for name in args.dtypes:
        peaks[name] = matmul_peak(shapes, PEAK_DTYPES[name])
        print(f'{name} matmul peak: {peaks[name]:.1f} GFLOP/s', flush=True)
    return peaks


if __name__ == '__main__':
    main()
