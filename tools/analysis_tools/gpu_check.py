"""The measurements of gpu_check.sh: training in fp32, fp16 AMP and bf16,
inference throughput against timm (fp32, fp16, bf16 autocast, bf16
weights), the teacher's forward in each precision, and the distilled step
split student / teacher. Every measurement runs even when another fails;
each failure is recorded in its row and listed at the end of the table.

    python tools/analysis_tools/gpu_check.py [--out work_dirs/gpu_check.md] \
        [--checks training inference teacher distilled] [--iters 200] \
        [--batch-size 128] [--device cuda|cpu] [--quick]

Exit status: 0 when every measurement ran, 1 when one failed (the table is
written either way), 2 for a device that is not there.
"""
import argparse
import logging
import time
from pathlib import Path

from mmengine.logging import MMLogger

from mmdeit.benchmarks import gpu_check


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='work_dirs/gpu_check.md')
    parser.add_argument('--device', default='cuda', choices=['cuda', 'cpu'])
    parser.add_argument('--checks', nargs='+',
                        default=list(gpu_check.SECTIONS),
                        choices=gpu_check.SECTIONS,
                        help='the sections to measure')
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--batch-size', type=int, default=128,
                        help='training batch')
    parser.add_argument('--max-batch', type=int, default=2048,
                        help='largest inference batch tried')
    parser.add_argument('--runs', type=int, default=10,
                        help='inference batches per round (3 rounds, the '
                        'median is reported)')
    parser.add_argument('--quick', action='store_true',
                        help='reduced models and counts (checks the code)')
    args = parser.parse_args(argv)
    problem = gpu_check.check_device(args.device)
    if problem:
        parser.error(problem)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    settings = gpu_check.Settings.for_quick(
        device=args.device, iters=args.iters, batch_size=args.batch_size,
        max_batch=args.max_batch, runs=args.runs, quick=args.quick)
    started = time.perf_counter()
    rows = gpu_check.run(settings, args.checks)
    text = gpu_check.markdown(settings, rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    print(f'written to {args.out} ({time.perf_counter() - started:.0f} s)')
    return int(any(row.status == 'FAILED' for row in rows))


if __name__ == '__main__':
    raise SystemExit(main())
