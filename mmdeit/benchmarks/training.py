"""Training-step throughput of a config beside timm's same model, in one
process, against the machine's matmul peaks.

mmdeit: ``model.train_step`` as the runner calls it, with the config's
optim wrapper (AdamW and its parameter groups; bf16 through
``AutocastOptimWrapper`` as ``tools/train.py --amp`` sets it on the CPU) and
data preprocessor (normalisation, Mixup/CutMix, label smoothing).
timm: a plain loop of the official recipe: normalise, timm's ``Mixup``,
forward, soft-target cross-entropy, backward, AdamW step (the same
parameter groups, from ``create_optimizer_v2``); bf16 under the same
``torch.autocast`` around forward and loss. Both start from the same uint8
batch. Rounds alternate between all contenders, fp32 and bf16 alike, and
each round also times ``torch.mm`` at the model's forward and backward
linear shapes in float32 and bfloat16 (the matmul peaks).
"""
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from mmengine.logging import MMLogger
from torch import nn

from mmdeit.apis import build_model_from_config, load_config
from mmdeit.models.utils import compile_model
from mmdeit.structures import DataSample
from .flops import count_flops
from .hardware import describe_machine, linear_shapes, with_backward
from .profiling import profile_table
from .timing import alternate, results_table, rounds_text

DTYPES = {'fp32': None, 'bf16': torch.bfloat16}
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)
Step = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class TrainingSetup:
    """What to run: a zoo name (or config) and its timm name, and how."""
    config: str = 'deit-tiny_pt-4xb256_in1k'
    timm_name: str = 'deit_tiny_patch16_224'
    batch_size: int = 64
    rounds: int = 3
    steps: int = 2
    warmup: int = 1
    precisions: Sequence[str] = tuple(DTYPES)
    compile: bool = False
    variant: Optional[dict] = None
    profile: bool = False
    report: list = field(default_factory=list)


def mmdeit_step(config: str, dtype: Optional[torch.dtype],
                changes: Optional[dict] = None,
                compile: bool = False) -> Tuple[Step, nn.Module]:
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


def timm_step(timm_name: str, dtype: Optional[torch.dtype],
              num_classes: int, drop_path: float) -> Tuple[Step, nn.Module]:
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

    def step(images, labels):
        inputs = (images.flip(1).float() - mean) / std  # BGR -> RGB
        inputs, targets = mixup(inputs, labels)
        with torch.autocast('cpu', dtype=dtype) if dtype else nullcontext():
            loss = criterion(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step, model


def contenders(setup: TrainingSetup, num_classes: int, drop_path: float,
               images: torch.Tensor, labels: torch.Tensor
               ) -> Tuple[Dict[str, Step], Dict[str, str]]:
    """The steps to time, and the timm step each one is compared with."""
    steps, references = {}, {}
    for name in setup.precisions:
        dtype = DTYPES[name]
        group = {f'mmdeit {name}': mmdeit_step(setup.config, dtype)[0],
                 f'timm {name}': timm_step(setup.timm_name, dtype,
                                           num_classes, drop_path)[0]}
        if setup.variant:
            changes = ' '.join(f'{k}={v}' for k, v in setup.variant.items())
            group[f'mmdeit {name} {changes}'] = mmdeit_step(
                setup.config, dtype, setup.variant)[0]
        if setup.compile:
            compiled = mmdeit_step(setup.config, dtype, compile=True)[0]
            start = time.perf_counter()
            compiled(images, labels)
            setup.report.append(
                f'{name}: first compiled step (compilation included) '
                f'{time.perf_counter() - start:.1f} s')
            group[f'mmdeit {name} compiled'] = compiled
        steps.update(group)
        references.update({key: f'timm {name}' for key in group})
    return steps, references


def run_training_benchmark(setup: TrainingSetup) -> str:
    """Time the contenders (see the module's doc); returns the report:
    machine, FLOPs, the table, mmdeit's bf16 / fp32 ratio, the rounds and
    any profiles."""
    # mmengine logs every parameter group and initialiser at INFO
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    from mmdeit.utils import register_all_modules
    register_all_modules()
    cfg = load_config(setup.config)
    size = cfg.model.backbone.get('img_size', 224)
    num_classes = cfg.model.head.num_classes
    drop_path = cfg.model.backbone.get('drop_path_rate', 0.)
    torch.manual_seed(0)
    images = torch.randint(0, 256, (setup.batch_size, 3, size, size),
                           dtype=torch.uint8)
    labels = torch.randint(0, num_classes, (setup.batch_size, ))
    report = setup.report
    report += [f'{setup.config} vs timm {setup.timm_name}: batch '
               f'{setup.batch_size}, {size}px, {setup.rounds} rounds x '
               f'{setup.steps} steps', describe_machine()]
    step, model = mmdeit_step(setup.config, None)
    flops = count_flops(lambda: step(images, labels))
    shapes = with_backward(linear_shapes(model, lambda: step(images,
                                                             labels)))
    report.append(f'{flops / setup.batch_size / 1e9:.2f} GFLOP per image '
                  'and step (forward and backward)')
    steps, references = contenders(setup, num_classes, drop_path, images,
                                   labels)
    if setup.profile:
        for name, run in steps.items():
            report.append(f'--- {name}: one step\n' +
                          profile_table(lambda: run(images, labels)))

    def repeated(run: Step) -> Callable[[], None]:
        def call():
            for _ in range(setup.steps):
                run(images, labels)
        return call

    result = alternate({name: repeated(run) for name, run in steps.items()},
                       setup.rounds, setup.warmup, shapes,
                       peak_dtypes=tuple(setup.precisions))
    work = setup.batch_size * setup.steps
    report.append(results_table(result, work, flops / setup.batch_size * work,
                                references))
    if {'mmdeit fp32', 'mmdeit bf16'} <= set(steps):
        ratios = [result.median_seconds('mmdeit fp32', cpu) /
                  result.median_seconds('mmdeit bf16', cpu)
                  for cpu in (False, True)]
        report.append(f'mmdeit bf16 step / fp32 step: {ratios[0]:.2f}x '
                      f'faster ({ratios[1]:.2f}x by CPU time)')
    report.append(rounds_text(result, work))
    report.append(f'after the rounds: {describe_machine()}')
    return '\n'.join(report)
