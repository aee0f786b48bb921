"""What distillation costs: the distilled training step against the plain
one, with the teacher run online (fp32, or bf16 where the CPU computes it)
or its labels replayed from a recording; the teacher's forward in each of
its forms; and how often its bf16 arg-max differs from fp32.

Inputs are real images: Fashion-MNIST (Debian's ``dataset-fashion-mnist``)
upscaled bicubically to the input size, grey copied to RGB, ImageNet
normalisation, mixed by Mixup/CutMix as the configs do. Every contender
gets the same batches with the same Mixup/CutMix draws (the generators are
seeded per batch), in rounds that alternate between the contenders.
"""
import copy
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmdeit.datasets import fashion_mnist
from mmdeit.models import DistilledImageClassifier, Teacher
from mmdeit.models.teachers.frozen import has_native_bf16
from mmdeit.models.zoo import get_model, load_config, quiet_init_log
from mmdeit.structures import DataSample
from mmdeit.utils.seeding import derive_seed, seed_all
from .flops import count_flops
from .hardware import (PeakTracker, describe_machine, linear_shapes,
                       with_backward)

FASHION_MNIST = Path('/usr/share/datasets/fashion-mnist')
NUM_CLASSES = 10
Seconds = Tuple[float, float]  # (wall, CPU of this process)


class FashionMnist:
    """Fashion-MNIST images as uint8 (3, S, S) tensors, batch after batch."""

    def __init__(self, split: str, size: int, root: Path = FASHION_MNIST):
        self.images, self.labels = fashion_mnist.load_split(str(root), split)
        self.size = size
        self.next = 0

    def batch(self, count: int) -> dict:
        index = slice(self.next, self.next + count)
        self.next += count
        grey = torch.from_numpy(self.images[index].copy()).float()[:, None]
        big = F.interpolate(grey, size=self.size, mode='bicubic',
                            align_corners=False).clamp(0, 255).round()
        inputs = big.to(torch.uint8).expand(-1, 3, -1, -1)
        return dict(inputs=list(inputs),
                    data_samples=[DataSample().set_gt_label(int(label))
                                  for label in self.labels[index]])


def timed(fn: Callable[[], object]) -> Seconds:
    """(wall seconds, CPU seconds of this process) that ``fn()`` takes. On
    a machine shared with other jobs, CPU time is the steadier figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def alternate(contenders: Dict[str, Callable[[int], object]], rounds: int,
              warmup: int = 1,
              between: Optional[Callable[[], object]] = None
              ) -> Dict[str, List[Seconds]]:
    """Time each contender ``fn(round)`` once per round, the contenders
    taking turns, after ``warmup`` untimed rounds; ``between()`` runs
    after each round (e.g. a matmul peak measurement)."""
    times: Dict[str, List[Seconds]] = {name: [] for name in contenders}
    for index in range(warmup + rounds):
        for name, fn in contenders.items():
            seconds = timed(lambda: fn(index))
            if index >= warmup:
                times[name].append(seconds)
        if between is not None and index >= warmup:
            between()
    return times


def median(times: List[Seconds]) -> Seconds:
    return (statistics.median(t[0] for t in times),
            statistics.median(t[1] for t in times))


# -- the teacher --------------------------------------------------------
def teacher_network(name: str, checkpoint: Optional[str] = None
                    ) -> nn.Module:
    """The teacher as it was trained (BatchNorm, fp32), with a 10-class
    head when its weights are random (see :func:`calibrate`)."""
    cfg = load_config(name)
    if checkpoint is None:
        cfg.model.head.num_classes = NUM_CLASSES
        cfg.data_preprocessor.num_classes = NUM_CLASSES
    return get_model(cfg, pretrained=checkpoint or False)


@torch.no_grad()
def calibrate(network: nn.Module, batches: List[dict],
              labels: bool = True) -> None:
    """Structure for a random teacher: residual branches on (the last BN
    of each block starts at zero), BatchNorm statistics measured on the
    images and, with ``labels``, a linear head fitted by ridge regression
    to its fp32 features."""
    for name, module in network.named_modules():
        if isinstance(module, nn.BatchNorm2d):
            if name.endswith('conv3.bn'):
                module.weight.fill_(0.25)
            module.reset_running_stats()
            module.momentum = None  # cumulative average over the batches
    preprocess = network.data_preprocessor
    network.train()
    for data in batches:
        network.extract_feat(preprocess(data)['inputs'])
    network.eval()
    if not labels:
        return
    feats, targets = [], []
    for data in batches:
        data = preprocess(data)
        feats.append(network.extract_feat(data['inputs'])[-1])
        targets += [int(s.gt_label) for s in data['data_samples']]
    feats = torch.cat(feats)
    classes = network.head.num_classes
    mean, std = feats.mean(0), feats.std(0) + 1e-6
    x = torch.cat([(feats - mean) / std, torch.ones(len(feats), 1)], 1)
    y = F.one_hot(torch.tensor(targets), classes).float() * 10 - 5
    solution = torch.linalg.solve(x.T @ x + 10 * torch.eye(x.shape[1]),
                                  x.T @ y)
    fc = network.head.fc
    fc.weight.copy_((solution[:-1] / std[:, None]).T)
    fc.bias.copy_(solution[-1] - (mean / std) @ solution[:-1])


def teacher_forms(network: nn.Module) -> Dict[str, Callable]:
    """The teacher's forward (normalised batch -> logits), as it was
    trained and in the forms :class:`Teacher` runs it."""
    network = network.eval()

    @torch.no_grad()
    def as_trained(inputs):
        return network(inputs)

    @torch.no_grad()
    def autocast(inputs):
        with torch.autocast(inputs.device.type, dtype=torch.bfloat16):
            return network(inputs).float()

    return {
        'fp32 as trained (BatchNorm, NCHW)': as_trained,
        'bf16 autocast, as trained': autocast,
        'fp32, BN folded, channels_last': Teacher(copy.deepcopy(network),
                                                  None),
        'bf16, BN folded, channels_last': Teacher(copy.deepcopy(network),
                                                  None, precision='bf16'),
    }


def agreement(reference: torch.Tensor, other: torch.Tensor) -> dict:
    """How ``other`` logits (N, K) stand to ``reference``: arg-max
    agreement, the largest logit error relative to the largest logit, and
    the images whose top-2 margin is below that error (those whose label a
    rounding could flip)."""
    same = (reference.argmax(1) == other.argmax(1)).sum().item()
    error = (reference - other).abs().max().item()
    top2 = reference.topk(2, 1).values
    margin = top2[:, 0] - top2[:, 1]
    return dict(images=len(reference), same=same,
                max_error=error / reference.abs().max().item(),
                close_calls=int((margin < error).sum()))


# -- the training steps ----------------------------------------------------
def student(name: str, num_classes: int, teacher=None,
            distillation: str = 'hard') -> DistilledImageClassifier:
    """The student of config ``name``: ``distillation`` from ``teacher``
    (a dict, as in a config), or 'none' without one."""
    cfg = load_config(name)
    model_cfg = dict(cfg.model)
    for key in ('type', 'init_cfg'):
        model_cfg.pop(key, None)
    model_cfg['head'] = dict(model_cfg['head'], num_classes=num_classes)
    model_cfg['data_preprocessor'] = dict(cfg.data_preprocessor,
                                          num_classes=num_classes)
    model_cfg.update(teacher=teacher, distillation=dict(
        type='none' if teacher is None else distillation))
    with quiet_init_log():
        model = DistilledImageClassifier(**model_cfg)
        torch.manual_seed(0)
        model.init_weights()
    return model.train()


def trainer(model: nn.Module, batches: List[dict]) -> Callable[[int], dict]:
    """``step(i)``: a training step (forward, backward, AdamW) on batch
    ``i % len(batches)``, its Mixup/CutMix draws seeded by ``i``, with a
    teacher-label cache told the batch's position."""
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05)))
    labels = getattr(model, 'teacher_labels', None)

    def step(index: int) -> dict:
        position = index % len(batches)
        seed_all(derive_seed(0, position))
        if labels is not None:
            labels.at_batch(position)
        return model.train_step(batches[position], wrapper)

    return step


def recorded_labels(folder: str, name: str, network: nn.Module,
                    batches: List[dict]) -> dict:
    """A teacher-label cache of ``batches`` (one epoch) for the student
    ``name``, recorded from ``network`` (saved to ``folder``); returns the
    ``model.teacher`` dict that replays it."""
    checkpoint = os.path.join(folder, 'teacher.pth')
    torch.save({'state_dict': network.state_dict()}, checkpoint)
    cfg = dict(network.cfg.model.to_dict(),
               data_preprocessor=network.cfg.data_preprocessor.to_dict())
    teacher = dict(cfg=cfg, checkpoint=checkpoint,
                   cache=dict(dir=os.path.join(folder, 'cache'),
                              batches=dict(benchmark=len(batches)),
                              epochs=1))
    recorder = student(name, network.head.num_classes, teacher)
    recorder.teacher_labels.start_epoch(0, len(batches))
    step = trainer(recorder, batches)
    for index in range(len(batches)):
        step(index)
    recorder.teacher_labels.end_epoch()
    os.remove(checkpoint)  # the replaying student must do without it
    return teacher


def step_table(name: str, network: nn.Module, batches: List[dict],
               rounds: int) -> List[dict]:
    """Seconds per training step of the student ``name``: plain
    (distillation 'none'), distilled with the teacher online in fp32 and
    in 'auto' precision, and distilled with recorded hard labels replayed;
    each with its ratio to the plain step."""
    classes = network.head.num_classes
    plain = student(name, classes)
    shapes = with_backward(linear_shapes(
        plain, lambda: trainer(plain, batches)(0)))
    peak = PeakTracker(shapes)
    flops = count_flops(lambda: trainer(plain, batches)(0))
    with tempfile.TemporaryDirectory() as folder:
        module = Teacher(copy.deepcopy(network), None)
        auto = Teacher(copy.deepcopy(network), None, precision='auto')
        models = {
            'plain step (distillation none)': plain,
            'distilled, teacher online fp32': student(
                name, classes, module),
            'distilled, teacher online auto'
            f' ({"bf16" if has_native_bf16(torch.device("cpu")) else "fp32"})':
            student(name, classes, auto),
            'distilled, labels replayed': student(
                name, classes, recorded_labels(folder, name, network,
                                               batches)),
        }
        replayed = models['distilled, labels replayed']
        assert replayed.teacher is None
        labels = replayed.teacher_labels
        labels.start_epoch(0, len(batches))
        times = alternate({key: trainer(model, batches)
                           for key, model in models.items()}, rounds,
                          between=peak.measure)
        times['replay\'s own work (digest, lookup, decode)'] = \
            replay_overhead(replayed, batches, rounds)
        labels.end_epoch()
    plain_s = median(times['plain step (distillation none)'])
    rows = []
    for key, values in times.items():
        wall, cpu = median(values)
        rows.append(dict(part=key, wall=wall, cpu=cpu,
                         ratio_cpu=cpu / plain_s[1],
                         ratio_wall=wall / plain_s[0]))
    rows[0]['peak'] = flops / plain_s[0] / 1e9 / peak.median
    rows[0]['peak_gflops'] = peak.median
    return rows


def replay_overhead(model: DistilledImageClassifier, batches: List[dict],
                    rounds: int) -> List[Seconds]:
    """Seconds per batch of what replaying adds to the plain step: the
    digest of the batch, the lookup of its record and the decoding of its
    labels (the cache positioned on an epoch of ``batches``)."""
    labels = model.teacher_labels
    inputs = []
    for index, data in enumerate(batches):
        seed_all(derive_seed(0, index))
        inputs.append(model.data_preprocessor(data, training=True)['inputs'])

    def replay(index):
        labels.at_batch(index % len(batches))
        labels.targets(inputs[index % len(batches)], None)

    return [timed(lambda: replay(index)) for index in range(rounds * 10)]


def teacher_table(network: nn.Module, batches: List[dict],
                  preprocessor: nn.Module, rounds: int) -> List[dict]:
    """Seconds per batch of the teacher's forward in each form, its ratio
    to the form it was trained in, its fraction of the fp32 or bf16 matmul
    peak (at the teacher's 1x1-convolution shapes), and its arg-max
    agreement with fp32 on the (mixed) training batches."""
    forms = teacher_forms(network)
    inputs = []
    for index, data in enumerate(batches):
        seed_all(derive_seed(0, index))
        inputs.append(preprocessor(data, training=True)['inputs'])
    shapes = conv_shapes(network, inputs[0])
    peaks = {dtype: PeakTracker(shapes, dtype)
             for dtype in (torch.float32, torch.bfloat16)}
    flops = count_flops(lambda: forms['fp32 as trained (BatchNorm, NCHW)'](
        inputs[0]))
    outputs = {name: [] for name in forms}

    def runner(name):
        def run(index):
            outputs[name].append(forms[name](inputs[index % len(inputs)]))
        return run

    times = alternate({name: runner(name) for name in forms}, rounds,
                      between=lambda: [p.measure() for p in peaks.values()])
    reference = torch.cat(outputs['fp32 as trained (BatchNorm, NCHW)'])
    base = median(times['fp32 as trained (BatchNorm, NCHW)'])
    rows = []
    for name in forms:
        wall, cpu = median(times[name])
        peak = peaks[torch.bfloat16 if 'bf16' in name else torch.float32]
        rows.append(dict(part=name, wall=wall, cpu=cpu,
                         ratio_cpu=cpu / base[1], ratio_wall=wall / base[0],
                         peak=flops / wall / 1e9 / peak.median,
                         peak_gflops=peak.median,
                         **agreement(reference,
                                     torch.cat(outputs[name]))))
    return rows


def conv_shapes(network: nn.Module, inputs: torch.Tensor) -> dict:
    """The (M, K, N) matmul shapes of the teacher's ungrouped 1x1
    convolutions (most of RegNet's work: M = pixels x batch), counted."""
    shapes = {}

    def record(module, args, output):
        if module.kernel_size == (1, 1) and module.groups == 1:
            shape = (output.numel() // output.shape[1], module.in_channels,
                     module.out_channels)
            shapes[shape] = shapes.get(shape, 0) + 1

    handles = [m.register_forward_hook(record) for m in network.modules()
               if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        network(inputs)
    for handle in handles:
        handle.remove()
    return shapes


# -- arg-max agreement on real images -----------------------------------
@torch.no_grad()
def agreement_on_batches(network: nn.Module, batches) -> List[dict]:
    """fp32 as trained against each fast form of the teacher over
    ``batches`` (dicts of images and data samples): arg-max agreement,
    largest relative logit error, close calls, and each form's top-1
    accuracy where the samples carry labels."""
    forms = teacher_forms(network)
    outputs = {name: [] for name in forms}
    labels = []
    for data in batches:
        data = network.data_preprocessor(data, training=False)
        labels += [int(s.gt_label) if 'gt_label' in s else -1
                   for s in data['data_samples']]
        for name, forward in forms.items():
            outputs[name].append(forward(data['inputs']).float())
    labels = torch.tensor(labels)
    reference = torch.cat(outputs['fp32 as trained (BatchNorm, NCHW)'])
    rows = []
    for name in forms:
        logits = torch.cat(outputs[name])
        row = dict(part=name, **agreement(reference, logits))
        row['agree'] = row['same'] / row['images']
        if (labels >= 0).all():
            row['top1'] = (logits.argmax(1) == labels).float().mean().item()
        rows.append(row)
    return rows


def topk_loss_rows(teacher: torch.Tensor, student: torch.Tensor,
                   ks: List[int], tau: float) -> List[dict]:
    """What soft distillation from recorded top-k logits loses, per k:
    the soft loss (``soft_distillation_loss``) of ``student`` logits
    against the top-k reconstruction of ``teacher`` logits beside the loss
    against the full logits, and the total-variation distance and KL
    divergence between the teacher's distribution at ``tau`` and its
    reconstruction (mean over the images)."""
    from mmdeit.models.losses.distillation import soft_distillation_loss
    from mmdeit.models.teachers.label_forms import TopKLogits
    full = soft_distillation_loss(student, teacher, tau).item()
    p = F.softmax(teacher / tau, 1)
    rows = []
    for k in ks:
        form = TopKLogits(teacher.shape[1], k, tau)
        rebuilt = form.decode(form.encode(teacher), len(teacher))
        q = F.softmax(rebuilt / tau, 1)
        loss = soft_distillation_loss(student, rebuilt, tau).item()
        rows.append(dict(
            k=k, bytes=form.bytes_per_sample, loss_full=full,
            loss_topk=loss, loss_change=loss / full - 1,
            tv=0.5 * (p - q).abs().sum(1).mean().item(),
            kl=(p * (p.clamp_min(1e-30).log() - q.clamp_min(1e-30).log())
                ).sum(1).mean().item()))
    return rows


def dataset_batches(config: str, split: str = 'test',
                    batch_size: int = 256, options: Optional[dict] = None):
    """The batches of a config's test (or val) data loader."""
    from mmengine.runner import Runner
    cfg = load_config(config)
    if options:
        cfg.merge_from_dict(options)
    loader = dict(cfg[f'{split}_dataloader'], batch_size=batch_size,
                  num_workers=0, persistent_workers=False)
    return Runner.build_dataloader(loader)


def photo_batches(folder: str, crops: int = 4, size: int = 224,
                  batch_size: int = 16, seed: int = 0) -> List[dict]:
    """``crops`` random resized crops (scale 0.25-1, as ImageNet training
    draws them, bicubic) of every JPEG photo under ``folder``, as batches
    of uint8 BGR images (as mmcv loads them; no labels)."""
    import mmcv
    from mmdeit.datasets.transforms import RandomResizedCrop
    crop = RandomResizedCrop(scale=size, crop_ratio_range=(0.25, 1.0),
                             interpolation='bicubic')
    images = []
    seed_all(seed)
    for path in sorted(Path(folder).rglob('*.jpg')):
        image = mmcv.imread(str(path))
        for _ in range(crops):
            out = crop(dict(img=image))['img']
            images.append(torch.from_numpy(
                np.ascontiguousarray(out.transpose(2, 0, 1))))
    return [dict(inputs=images[i:i + batch_size],
                 data_samples=[DataSample() for _ in
                               images[i:i + batch_size]])
            for i in range(0, len(images), batch_size)]


def format_table(rows: List[dict], columns: Dict[str, str]) -> str:
    """Rows as a Markdown table: ``columns`` maps a row key to its header
    (numbers formatted by kind)."""
    lines = ['| ' + ' | '.join(columns.values()) + ' |',
             '|' + '---|' * len(columns)]
    for row in rows:
        cells = []
        for key in columns:
            value = row.get(key, '')
            if value == '':
                pass
            elif key == 'peak':
                value = f'{value:.0%}'
            elif key == 'agree':
                value = f'{value:.2%}'
            elif key in ('loss_change', 'top1'):
                value = f'{value:+.2%}' if key == 'loss_change' else \
                    f'{value:.2%}'
            elif key.startswith('ratio'):
                value = f'{value:.2f}x'
            elif isinstance(value, float):
                value = f'{value:.2f}' if value >= 0.01 else f'{value:.1e}'
            cells.append(str(value))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def load_average() -> str:
    try:
        return ' '.join(open('/proc/loadavg').read().split()[:3])
    except OSError:
        return 'unknown'


def machine_line() -> str:
    return f'{describe_machine()}; load average {load_average()}'
