"""Training-step throughput of a config beside timm's same model, in one
process.

    python tools/analysis_tools/benchmark_train.py [CONFIG] [TIMM_NAME] \
        [--batch-size 64] [--rounds 3] [--steps 2] [--warmup 1] \
        [--dtypes fp32 bf16]

mmdeit: ``model.train_step`` as the runner calls it, with the config's
optim wrapper (AdamW and its parameter groups; bf16 through
``AutocastOptimWrapper`` as ``tools/train.py --amp`` sets it on the CPU) and
data preprocessor (normalisation, Mixup/CutMix, label smoothing).
timm: a plain loop of the official recipe: normalise, timm's ``Mixup``,
forward, soft-target cross-entropy, backward, AdamW step (the same
parameter groups, from ``create_optimizer_v2``). Both start from the same
uint8 batch. Rounds alternate between the two; each prints img/s as the
median over rounds and the ratio mmdeit / timm.
"""
import argparse
import logging
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from mmengine.logging import MMLogger

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mmdeit.apis import build_model_from_config, load_config  # noqa: E402
from mmdeit.structures import DataSample  # noqa: E402

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
    return parser.parse_args()


def mmdeit_step(config: str, dtype):
    """One runner training step of the config's model."""
    from mmengine.optim import build_optim_wrapper
    cfg = load_config(config)
    model = build_model_from_config(cfg)
    model.init_weights()
    model.train()
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

    return step


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

    return step


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
          f'{size}px, {torch.get_num_threads()} threads, {args.rounds} '
          f'rounds x {args.steps} steps')
    for name in args.dtypes:
        dtype = DTYPES[name]
        steps = {
            'mmdeit': mmdeit_step(args.config, dtype),
            'timm': timm_step(args.timm_name, dtype, num_classes,
                              cfg.model.backbone.get('drop_path_rate', 0.)),
        }
        for step in steps.values():
            time_steps(step, images, labels, args.warmup)
        speeds = {key: [] for key in steps}
        for _ in range(args.rounds):
            for key, step in steps.items():
                speeds[key].append(
                    time_steps(step, images, labels, args.steps))
        median = {key: statistics.median(v) for key, v in speeds.items()}
        print(f'{name}: mmdeit {median["mmdeit"]:.1f} img/s, timm '
              f'{median["timm"]:.1f} img/s, ratio '
              f'{median["mmdeit"] / median["timm"]:.2f} '
              f'(per round: mmdeit {[round(v, 1) for v in speeds["mmdeit"]]}'
              f', timm {[round(v, 1) for v in speeds["timm"]]})', flush=True)


if __name__ == '__main__':
    main()
