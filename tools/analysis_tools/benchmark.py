"""Inference throughput of a config beside timm's same model, in one process,
against the machine's matmul peak.

    python tools/analysis_tools/benchmark.py CONFIG TIMM_NAME \
        [--batch-size 32] [--rounds 5] [--warmup 2] [--dtypes fp32 bf16] \
        [--threads N] [--profile] [--onnx] [--compile]

Both models get the same weights (timm's, loaded through mmdeit's official
layout loader) and the same random batch. Rounds alternate between the two,
and each round also times ``torch.mm`` at the model's linear shapes (the
matmul peak, see mmdeit/benchmarks/hardware_limits.py), so that drifts
of the machine hit all three; each prints img/s as the median over rounds,
the fraction of the peak and the ratio mmdeit / timm. ``--onnx`` adds the model exported to ONNX and
run by onnxruntime (fp32, same threads) to the rounds, ``--compile`` the
model under ``torch.compile`` (its first batch, compilation included, is
timed apart); ``--profile`` prints
the torch operators of one batch of mmdeit and of timm.
"""
import argparse
import copy
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import torch

import mmdeit
from mmdeit.benchmarks.hardware_limits import (PeakTracker, count_flops,
                                               describe_machine,
                                               format_shapes,
                                               fraction_of_peak,
                                               linear_shapes)
from mmdeit.benchmarks.op_profile import profile_table
from mmdeit.models.utils import compile_model

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
    parser.add_argument('--profile', action='store_true',
                        help='print the operators of one batch of each')
    parser.add_argument('--onnx', action='store_true',
                        help='also time onnxruntime on the exported model')
    parser.add_argument('--compile', action='store_true',
                        help='also time the model compiled')
    return parser.parse_args()


def build_pair(config: str, timm_name: str):
    import timm
    reference = timm.create_model(timm_name, pretrained=False).eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'weights.pth'
        torch.save({'model': reference.state_dict()}, path)
        model = mmdeit.get_model(config, pretrained=str(path))
    return model, reference


def onnx_runner(model, batch, folder: str):
    """onnxruntime on the exported model, on the same threads as torch."""
    import onnxruntime as ort
    from mmdeit.apis.onnx_model import INPUT_NAME, export_onnx
    path = str(Path(folder) / 'model.onnx')
    export_onnx(model, path, batch_size=batch.shape[0])
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(path, options,
                                   providers=['CPUExecutionProvider'])
    array = batch.numpy()
    expected = model(batch)
    got = torch.from_numpy(session.run(None, {INPUT_NAME: array})[0])
    print(f'onnxruntime vs PyTorch: max abs diff '
          f'{(got - expected).abs().max():.2e}')
    return lambda: session.run(None, {INPUT_NAME: array})


def timed(run, dtype) -> float:
    context = torch.autocast('cpu', dtype=dtype) if dtype else nullcontext()
    start = time.perf_counter()
    with context:
        run()
    return time.perf_counter() - start


@torch.inference_mode()
def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model, reference = build_pair(args.config, args.timm_name)
    size = model.backbone.img_size
    batch = torch.randn(args.batch_size, 3, *size)
    print(f'{args.config} vs timm {args.timm_name}, batch {args.batch_size}'
          f', {args.rounds} rounds\n{describe_machine()}')
    flops = count_flops(lambda: model(batch))
    shapes = linear_shapes(model, lambda: model(batch))
    print(f'{flops / args.batch_size / 1e9:.2f} GFLOP per image (matrix '
          f'products and attention); linear shapes {format_shapes(shapes)}')
    folder = tempfile.TemporaryDirectory()
    for name in args.dtypes:
        dtype = DTYPES[name]
        runs = {'mmdeit': lambda: model(batch),
                'timm': lambda: reference(batch)}
        if args.onnx and dtype is None:
            runs['onnxruntime'] = onnx_runner(model, batch, folder.name)
        if args.compile:
            compiled = copy.deepcopy(model)
            compile_model(compiled, True)
            start = time.perf_counter()
            timed(lambda: compiled(batch), dtype)
            print(f'{name}: first compiled batch (compilation included) '
                  f'{time.perf_counter() - start:.1f} s; max abs diff to '
                  f'eager {(compiled(batch) - model(batch)).abs().max():.2e}')
            runs['mmdeit compiled'] = lambda: compiled(batch)
        if args.profile:
            for key in ('mmdeit', 'timm'):
                run = runs[key]
                print(f'--- {name} {key}: one batch\n'
                      f'{profile_table(lambda: timed(run, dtype))}')
        peak = PeakTracker(shapes, dtype or torch.float32)
        for _ in range(args.warmup):
            for run in runs.values():
                timed(run, dtype)
        speeds = {key: [] for key in runs}
        for _ in range(args.rounds):
            for key, run in runs.items():
                speeds[key].append(args.batch_size / timed(run, dtype))
            peak.measure()
        median = {key: statistics.median(v) for key, v in speeds.items()}
        print(f'{name}: matmul peak {peak.median:.1f} GFLOP/s (rounds: '
              f'{[round(v, 1) for v in peak.rates]})')
        for key, value in median.items():
            share = fraction_of_peak(flops, args.batch_size / value,
                                     peak.median)
            print(f'  {key:<16}{value:8.2f} img/s  {share:6.1%} of peak  '
                  f'{value / median["timm"]:.3f}x timm  (rounds: '
                  f'{[round(v, 2) for v in speeds[key]]})')
    folder.cleanup()


if __name__ == '__main__':
    main()
