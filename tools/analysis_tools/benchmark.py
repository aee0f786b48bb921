"""Inference throughput of a config beside timm's same model, in one process.

    python tools/analysis_tools/benchmark.py CONFIG TIMM_NAME \
        [--batch-size 32] [--rounds 5] [--warmup 2] [--dtypes fp32 bf16]

Both models get the same weights (timm's, loaded through mmdeit's official
layout loader) and the same random batch. Rounds alternate between the two
so that drifts of the machine hit both; each prints img/s as the median over
rounds, and the ratio mmdeit / timm.
"""
import argparse
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import torch

import mmdeit

DTYPES = {'fp32': None, 'bf16': torch.bfloat16}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='zoo name or config path')
    parser.add_argument('timm_name', help='the same model in timm')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--dtypes', nargs='+', default=['fp32', 'bf16'],
                        choices=list(DTYPES))
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch chooses)')
    return parser.parse_args()


def build_pair(config: str, timm_name: str):
    import timm
    reference = timm.create_model(timm_name, pretrained=False).eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'weights.pth'
        torch.save({'model': reference.state_dict()}, path)
        model = mmdeit.get_model(config, pretrained=str(path))
    return model, reference


@torch.inference_mode()
def time_batch(model, batch, dtype) -> float:
    context = torch.autocast('cpu', dtype=dtype) if dtype else nullcontext()
    start = time.perf_counter()
    with context:
        model(batch)
    return time.perf_counter() - start


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model, reference = build_pair(args.config, args.timm_name)
    size = model.backbone.img_size
    batch = torch.randn(args.batch_size, 3, *size)
    print(f'{args.config} vs timm {args.timm_name}, batch {args.batch_size}, '
          f'{torch.get_num_threads()} threads, torch {torch.__version__}')
    for name in args.dtypes:
        dtype = DTYPES[name]
        for _ in range(args.warmup):
            time_batch(model, batch, dtype)
            time_batch(reference, batch, dtype)
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(args.batch_size / time_batch(model, batch, dtype))
            theirs.append(args.batch_size / time_batch(reference, batch,
                                                       dtype))
        ours_med, theirs_med = statistics.median(ours), statistics.median(
            theirs)
        print(f'{name}: mmdeit {ours_med:6.2f} img/s   timm {theirs_med:6.2f} '
              f'img/s   ratio {ours_med / theirs_med:.3f}')


if __name__ == '__main__':
    main()
