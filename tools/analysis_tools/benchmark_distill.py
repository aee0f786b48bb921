"""Cost of a distilled training step, split into student and teacher, with
the teacher in fp32 and in bf16 autocast, and how often bf16 changes the
teacher's hard labels.

    python tools/analysis_tools/benchmark_distill.py \
        [--student deit-small-distilled_pt-4xb256_in1k] \
        [--teacher regnety-16gf_in1k] [--teacher-checkpoint PATH_OR_URL] \
        [--batch-size 32] [--img-size 224] [--repeats 2] [--calibrate 64]

Inputs are real images: Fashion-MNIST (Debian's dataset-fashion-mnist),
upscaled bicubically to the input size, grey copied to RGB, ImageNet
normalisation; a training step also mixes them with Mixup/CutMix as the
configs do. Without ``--teacher-checkpoint`` the teacher has random weights,
whose nearly tied logits make the agreement figure meaningless; then
``--calibrate N`` gives it some structure from N training images: every
residual branch switched on, BatchNorm statistics measured on the images,
and a 10-class linear head fitted by least squares to the fp32 features.

Timings: wall and CPU seconds per batch, after one warm-up batch, the
fastest of ``--repeats`` batches (each a different batch). The student's
step is a full train_step (forward, backward, AdamW update) with
distillation 'none'; the teacher's
part is its forward without gradients. Hard-label agreement is counted over
every teacher batch, warm-up included. Each part's matmul FLOP rate is also
given as a fraction of the machine's matmul peak (``torch.mm`` at the
student's forward and backward linear shapes, fp32, measured before and
after the timings; see hardware_limits.py).
"""
import argparse
import gzip
import sys
import time
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

import mmdeit
from mmdeit.apis import load_config
from mmdeit.models.zoo import quiet_init_log
from mmdeit.models import DistilledImageClassifier, Teacher
from mmdeit.structures import DataSample

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hardware_limits import (PeakTracker, count_flops,  # noqa: E402
                             describe_machine, linear_shapes, with_backward)

FASHION_MNIST = Path('/usr/share/datasets/fashion-mnist')
NUM_CLASSES = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--student',
                        default='deit-small-distilled_pt-4xb256_in1k')
    parser.add_argument('--teacher', default='regnety-16gf_in1k')
    parser.add_argument('--teacher-checkpoint', default=None,
                        help='teacher weights (default: random)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--calibrate', type=int, default=0, metavar='N',
                        help='give a random teacher structure from N images')
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args()


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big')
             for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


class Images:
    """Fashion-MNIST images as uint8 (3, S, S) tensors, in batches."""

    def __init__(self, split: str, size: int):
        prefix = 'train' if split == 'train' else 't10k'
        self.images = read_idx(
            FASHION_MNIST / f'{prefix}-images-idx3-ubyte.gz')
        self.labels = read_idx(
            FASHION_MNIST / f'{prefix}-labels-idx1-ubyte.gz')
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


def build_student(name: str, num_classes: int,
                  teacher: Optional[torch.nn.Module] = None
                  ) -> DistilledImageClassifier:
    """The student of config ``name``, hard distillation from ``teacher``
    (or distillation 'none' without one)."""
    cfg = load_config(name)
    model_cfg = dict(cfg.model)
    for key in ('type', 'init_cfg'):
        model_cfg.pop(key, None)
    model_cfg['head'] = dict(model_cfg['head'], num_classes=num_classes)
    model_cfg['data_preprocessor'] = dict(cfg.data_preprocessor,
                                          num_classes=num_classes)
    model_cfg.update(teacher=teacher, distillation=dict(
        type='none' if teacher is None else 'hard'))
    student = DistilledImageClassifier(**model_cfg)
    with quiet_init_log():
        student.init_weights()
    return student


def build_teacher(name: str, checkpoint: Optional[str]) -> torch.nn.Module:
    """The teacher, with a 10-class head when its weights are random (and
    will be calibrated on Fashion-MNIST)."""
    cfg = load_config(name)
    if checkpoint is None:
        cfg.model.head.num_classes = NUM_CLASSES
        cfg.data_preprocessor.num_classes = NUM_CLASSES
    return mmdeit.get_model(cfg, pretrained=checkpoint or False)


@torch.no_grad()
def calibrate(teacher: torch.nn.Module, images: Images, count: int,
              batch_size: int) -> None:
    """Structure for a random teacher: residual branches on (the last BN of
    each block is zero-initialised), BN statistics of real images, and a
    least-squares linear head on its fp32 features."""
    for name, module in teacher.named_modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            if name.endswith('conv3.bn'):
                module.weight.fill_(0.25)
            module.reset_running_stats()
            module.momentum = None  # cumulative average over the batches
    batches = [images.batch(batch_size)
               for _ in range(max(1, count // batch_size))]
    preprocess = teacher.data_preprocessor
    teacher.train()
    for data in batches:
        teacher.extract_feat(preprocess(data)['inputs'])
    teacher.eval()
    feats, labels = [], []
    for data in batches:
        data = preprocess(data)
        feats.append(teacher.extract_feat(data['inputs'])[-1])
        labels += [int(s.gt_label) for s in data['data_samples']]
    feats = torch.cat(feats)
    mean, std = feats.mean(0), feats.std(0) + 1e-6
    x = torch.cat([(feats - mean) / std, torch.ones(len(feats), 1)], 1)
    y = F.one_hot(torch.tensor(labels), NUM_CLASSES).float() * 10 - 5
    # ridge regression, strong enough for fewer samples than features
    solution = torch.linalg.solve(x.T @ x + 10 * torch.eye(x.shape[1]),
                                  x.T @ y)
    fc = teacher.head.fc
    fc.weight.copy_((solution[:-1] / std[:, None]).T)
    fc.bias.copy_(solution[-1] - (mean / std) @ solution[:-1])


def timed(fn) -> Tuple[float, float]:
    """(wall seconds, CPU seconds of this process) that ``fn()`` takes. On
    a machine shared with other jobs, CPU time is the steadier figure."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    teacher = build_teacher(args.teacher, args.teacher_checkpoint)
    num_classes = teacher.head.num_classes
    if args.calibrate:
        calibrate(teacher, Images('train', args.img_size), args.calibrate,
                  args.batch_size)
    images = Images('test', args.img_size)
    batches = [images.batch(args.batch_size)
               for _ in range(args.repeats + 1)]

    # the student alone: a full train step, distillation 'none'
    student = build_student(args.student, num_classes).train()
    optim_wrapper = build_optim_wrapper(student, dict(
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)))
    shapes = with_backward(linear_shapes(
        student, lambda: student.train_step(batches[0], optim_wrapper)))
    peak = PeakTracker(shapes)
    peak.measure()
    student_flops = count_flops(
        lambda: student.train_step(batches[0], optim_wrapper))
    student_times = [timed(lambda: student.train_step(data, optim_wrapper))
                     for data in batches]

    # the teacher's part of a distilled step, on the student's mixed batch
    distilled = build_student(args.student, num_classes, teacher)
    teachers = dict(fp32=distilled.teacher,
                    bf16=Teacher(teacher, {}, 'bfloat16'))
    teacher_times = {name: [] for name in teachers}
    labels = {name: [] for name in teachers}
    for data in batches:
        inputs = distilled.data_preprocessor(data, training=True)['inputs']
        for name, run_teacher in teachers.items():
            logits = []
            teacher_times[name].append(
                timed(lambda: logits.append(run_teacher(inputs))))
            labels[name].append(logits[0].argmax(1))

    teacher_flops = count_flops(lambda: teachers['fp32'](inputs))
    peak.measure()
    fp32, bf16 = torch.cat(labels['fp32']), torch.cat(labels['bf16'])
    same = (fp32 == bf16).sum().item()
    # the fastest timed batch (wall, CPU), the warm-up batch left out
    student_s = min(student_times[1:])
    t32, t16 = min(teacher_times['fp32'][1:]), min(teacher_times['bf16'][1:])
    print(describe_machine())
    weights = args.teacher_checkpoint or 'random weights'
    if args.calibrate:
        weights += f', calibrated on {args.calibrate} images'
    print(f'student {args.student}, teacher {args.teacher} ({weights}), '
          f'batch {args.batch_size} at {args.img_size} px, Fashion-MNIST')
    print(f'fp32 matmul peak {peak.median:.1f} GFLOP/s (measured '
          f'{[round(v, 1) for v in peak.rates]}); fraction of it per part, '
          'by wall time')
    print(f'{"part":<34}{"wall s":>8}{"cpu s":>8}{"share":>8}{"peak":>8}')
    for name, teacher_s in (('fp32', t32), ('bf16', t16)):
        total = [a + b for a, b in zip(student_s, teacher_s)]
        for part, value, flops in (
                ('student step (fwd+bwd+AdamW)', student_s, student_flops),
                (f'teacher forward, {name}', teacher_s, teacher_flops)):
            print(f'{part:<34}{value[0]:>8.2f}{value[1]:>8.2f}'
                  f'{value[1] / total[1]:>8.0%}'
                  f'{flops / value[0] / 1e9 / peak.median:>8.0%}')
        rate = (student_flops + teacher_flops) / total[0] / 1e9
        print(f'{"distilled step, " + name + " teacher":<34}'
              f'{total[0]:>8.2f}{total[1]:>8.2f}{"":>8}'
              f'{rate / peak.median:>8.0%}')
    print(f'bf16 teacher / fp32 teacher cost: wall {t16[0] / t32[0]:.2f}, '
          f'cpu {t16[1] / t32[1]:.2f} (goal <= 0.55)')
    print(f'hard labels unchanged by bf16: {same}/{len(fp32)} = '
          f'{100 * same / len(fp32):.2f} % (goal >= 99.5 %)')
    if args.calibrate:
        # the calibrated teacher's accuracy on clean images: its structure
        plain = distilled.data_preprocessor(batches[0], training=False)
        truth = torch.cat([s.gt_label for s in plain['data_samples']])
        accuracy = (teachers['fp32'](plain['inputs']).argmax(1) == truth)
        print(f'calibrated teacher top-1 on {len(truth)} clean test images: '
              f'{100 * accuracy.float().mean().item():.1f} %')

if __name__ == '__main__':
    main()
