"""Training-step throughput of a config beside timm's same model, in one
process, against the machine's matmul peak.

    python tools/analysis_tools/benchmark_train.py [CONFIG] [TIMM_NAME] \
        [--batch-size 64] [--rounds 3] [--steps 2] [--warmup 1] \
        [--dtypes fp32 bf16] [--threads N] [--profile] [--compile] \
        [--variant KEY=VALUE ...]

mmdeit: ``model.train_step`` as the runner calls it, with the config's
optim wrapper (AdamW and its parameter groups; bf16 through
``AutocastOptimWrapper`` as ``tools/train.py --amp`` sets it on the CPU) and
data preprocessor (normalisation, Mixup/CutMix, label smoothing).
timm: a plain loop of the official recipe: normalise, timm's ``Mixup``,
forward, soft-target cross-entropy, backward, AdamW step (the same
parameter groups, from ``create_optimizer_v2``). Both start from the same
uint8 batch. Rounds alternate between the contenders, and each round also
times ``torch.mm`` at the model's forward and backward linear shapes (the
matmul peak, see mmdeit/benchmarks/hardware_limits.py); each prints img/s
as the median over rounds, the fraction of the peak (FLOPs of forward and
backward as torch's flop counter sees them) and the ratio to timm.

``--compile`` adds the config's model with ``compile = True`` (the first
step's time, compilation included, is printed); ``--variant
optim_wrapper.optimizer.fused=False`` adds the model with that config change
(for before/after comparisons in one run); ``--profile`` prints the
operators of one step of mmdeit and of timm.
"""
import argparse
import logging
import statistics
import time
from contextlib import nullcontext

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger

from mmdeit.apis import build_model_from_config, load_config
from mmdeit.benchmarks.hardware_limits import (PeakTracker, count_flops,
                                               describe_machine,
                                               fraction_of_peak,
                                               linear_shapes, with_backward)
from mmdeit.benchmarks.op_profile import profile_table
from mmdeit.models.utils import compile_model
from mmdeit.structures import DataSample

DTYPES = {'fp32': None, 'bf16': torch.bfloat16}
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?',
                        default='deit-tiny_pt-4xb256_in1k',
                        help='zoo name or config path')
    parser.add_argument('timm_name', nargs='?',
                        default='deit_tiny_patch16_224',
                        help='the same model in timm')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--steps', type=int, default=2,
                        help='training steps timed per round')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--dtypes', nargs='+', default=['fp32', 'bf16'],
                        choices=list(DTYPES))
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch chooses)')
    parser.add_argument('--profile', action='store_true',
                        help='print the operators of one step of each')
    parser.add_argument('--compile', action='store_true',
                        help='add the model compiled (compile=True)')
    parser.add_argument('--variant', nargs='+', action=DictAction,
                        help='add the model with these config changes')
    return parser.parse_args()


def mmdeit_step(config: str, dtype, changes=None, compile=False):
    """One runner training step of the config's model (with ``changes``
    merged into its config); also returns the model."""
    from mmengine.optim import build_optim_wrapper
    cfg = load_config(config)
    if changes:
        cfg.merge_from_dict(changes)
    model = build_model_from_config(cfg)
    model.init_weights()
    model.train()
    compile_model(model, compile)
    wrapper_cfg = cfg.optim_wrapper.copy()
    if dtype is not None:
        wrapper_cfg.update(type='AutocastOptimWrapper', dtype=dtype,
                           device_type='cpu')
    optim_wrapper = build_optim_wrapper(model, wrapper_cfg)

    def step(images, labels):
        data = dict(inputs=images,
                    data_samples=[DataSample().set_gt_label(int(label))
                                  for label in labels])
        return model.train_step(data, optim_wrapper)['loss']

    return step, model


def timm_step(timm_name: str, dtype, num_classes: int, drop_path: float):
    """One step of the official recipe's training loop on timm's model."""
    import timm
    from timm.data import Mixup
    from timm.loss import SoftTargetCrossEntropy
    from timm.optim import create_optimizer_v2
    model = timm.create_model(timm_name, num_classes=num_classes,
                              drop_path_rate=drop_path).train()
    optimizer = create_optimizer_v2(model, 'adamw', lr=1e-3,
                                    weight_decay=0.05, eps=1e-8)
    mixup = Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1,
                  num_classes=num_classes)
    criterion = SoftTargetCrossEntropy()
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    context = (lambda: torch.autocast('cpu', dtype=dtype)) if dtype \
        else nullcontext

    def step(images, labels):
        inputs = (images.flip(1).float() - mean) / std  # BGR -> RGB
        inputs, targets = mixup(inputs, labels)
        with context():
            loss = criterion(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step, model


def time_steps(step, images, labels, count: int) -> float:
    """img/s over ``count`` steps."""
    start = time.perf_counter()
    for _ in range(count):
        step(images, labels)
    return count * images.shape[0] / (time.perf_counter() - start)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    # mmengine logs every parameter group and initialiser at INFO
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    from mmdeit.utils import register_all_modules
    register_all_modules()
    cfg = load_config(args.config)
    size = cfg.model.backbone.get('img_size', 224)
    num_classes = cfg.model.head.num_classes
    torch.manual_seed(0)
    images = torch.randint(0, 256, (args.batch_size, 3, size, size),
                           dtype=torch.uint8)
    labels = torch.randint(0, num_classes, (args.batch_size, ))
    print(f'{args.config} vs timm {args.timm_name}: batch {args.batch_size}, '
          f'{size}px, {args.rounds} rounds x {args.steps} steps\n'
          f'{describe_machine()}')
    for name in args.dtypes:
        dtype = DTYPES[name]
        steps = {
            'mmdeit': mmdeit_step(args.config, dtype),
            'timm': timm_step(args.timm_name, dtype, num_classes,
                              cfg.model.backbone.get('drop_path_rate', 0.)),
        }
        if args.variant:
            changes = ' '.join(f'{k}={v}' for k, v in args.variant.items())
            steps[f'mmdeit {changes}'] = mmdeit_step(args.config, dtype,
                                                     args.variant)
        if args.compile:
            steps['mmdeit compiled'] = mmdeit_step(args.config, dtype,
                                                   compile=True)
            start = time.perf_counter()
            steps['mmdeit compiled'][0](images, labels)
            print(f'{name}: first compiled step (compilation included) '
                  f'{time.perf_counter() - start:.1f} s')
        step, model = steps['mmdeit']
        flops = count_flops(lambda: step(images, labels))
        peak = PeakTracker(with_backward(linear_shapes(
            model, lambda: step(images, labels))), dtype or torch.float32)
        print(f'{name}: {flops / args.batch_size / 1e9:.2f} GFLOP per image '
              'and step (forward and backward)')
        if args.profile:
            for key in ('mmdeit', 'timm'):
                print(f'--- {name} {key}: one step\n' + profile_table(
                    lambda: steps[key][0](images, labels)))
        for step, _ in steps.values():
            time_steps(step, images, labels, args.warmup)
        speeds = {key: [] for key in steps}
        for _ in range(args.rounds):
            for key, (step, _) in steps.items():
                speeds[key].append(
                    time_steps(step, images, labels, args.steps))
            peak.measure()
        median = {key: statistics.median(v) for key, v in speeds.items()}
        print(f'{name}: matmul peak {peak.median:.1f} GFLOP/s (rounds: '
              f'{[round(v, 1) for v in peak.rates]})')
        for key, value in median.items():
            share = fraction_of_peak(flops, args.batch_size / value,
                                     peak.median)
            print(f'  {key:<40}{value:7.2f} img/s  {share:6.1%} of peak  '
                  f'{value / median["timm"]:.3f}x timm  (rounds: '
                  f'{[round(v, 2) for v in speeds[key]]})', flush=True)


if __name__ == '__main__':
    main()
