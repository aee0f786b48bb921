"""The measurements of gpu_check.sh: AMP training, the paper's throughput
protocol against timm, and the distilled step split student / teacher.

    python tools/analysis_tools/gpu_check.py [--out work_dirs/gpu_check.md] \
        [--iters 200] [--batch-size 128] [--device cuda|cpu] [--quick]

1. ``--iters`` training iterations of DeiT-S distilled (hard distillation
   from a RegNetY-16GF teacher with random weights) on synthetic uint8
   images, with the optim wrapper ``tools/train.py --amp`` builds on CUDA
   (``AmpOptimWrapper``, float16 with dynamic loss scaling, fused AdamW),
   batches copied from pinned memory without blocking.
2. Inference throughput as the DeiT paper measures it: the largest batch
   that fits (doubling until out of memory, at most --max-batch), img/s
   over --runs batches, fp32 and float16 autocast, mmdeit and timm on the
   same GPU with the same weights.
3. The distilled training step split into the student's part (forward,
   backward, update; distillation 'none') and the teacher's forward.

Results go to a Markdown file. ``--device cpu --quick`` runs every part on
a reduced model on the CPU (fp32: AMP with loss scaling needs CUDA), to
check the script itself.
"""
import argparse
import copy
import logging
import os.path as osp
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Dict, List

import torch
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import mmdeit  # noqa: E402
from mmdeit.apis import build_model_from_config, load_config  # noqa: E402
from mmdeit.structures import DataSample  # noqa: E402
from mmdeit.utils.cuda import configure_cuda_transfers  # noqa: E402

STUDENT = 'deit-small-distilled_pt-4xb256_in1k'
TEACHER = 'regnety-16gf_in1k'
# (mmdeit zoo name, timm name) measured by the throughput protocol
THROUGHPUT = [('deit-tiny-distilled_pt-4xb256_in1k',
               'deit_tiny_distilled_patch16_224'),
              ('deit-small-distilled_pt-4xb256_in1k',
               'deit_small_distilled_patch16_224'),
              ('deit-base-distilled_pt-16xb64_in1k',
               'deit_base_distilled_patch16_224')]
# --quick: DeiT-tiny's layout at 2 layers for the student and the
# throughput models, a 1-layer DeiT-tiny as the teacher
QUICK_ARCH = dict(embed_dims=192, num_layers=2, num_heads=3,
                  feedforward_channels=768)
QUICK_TEACHER = dict(
    type='ImageClassifier',
    backbone=dict(type='VisionTransformer',
                  arch=dict(QUICK_ARCH, num_layers=1)),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=192),
    data_preprocessor=dict(num_classes=1000, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='work_dirs/gpu_check.md')
    parser.add_argument('--device', default='cuda', choices=['cuda', 'cpu'])
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--batch-size', type=int, default=128,
                        help='training batch')
    parser.add_argument('--max-batch', type=int, default=2048,
                        help='largest inference batch tried')
    parser.add_argument('--runs', type=int, default=10,
                        help='inference batches per round (3 rounds, the '
                        'median is reported)')
    parser.add_argument('--quick', action='store_true',
                        help='reduced models and counts (checks the script)')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('no CUDA device; --device cpu --quick checks the script')
    if args.quick:
        args.iters = min(args.iters, 3)
        args.batch_size = min(args.batch_size, 2)
        args.max_batch = min(args.max_batch, 4)
        args.runs = min(args.runs, 2)
    return args


class Clock:
    """Seconds of work queued on ``device``, waiting for the GPU."""

    def __init__(self, device: str):
        self.cuda = device == 'cuda'

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def time(self, fn: Callable[[], object], count: int = 1) -> float:
        self.sync()
        start = time.perf_counter()
        for _ in range(count):
            fn()
        self.sync()
        return time.perf_counter() - start


def student_config(args, teacher: bool):
    cfg = load_config(STUDENT)
    if args.quick:
        cfg.merge_from_dict(dict(model=dict(
            backbone=dict(arch=dict(_delete_=True, **QUICK_ARCH)),
            head=dict(in_channels=QUICK_ARCH['embed_dims']))))
    cfg.model.pop('init_cfg', None)
    if teacher:
        cfg.model.teacher = dict(
            cfg=copy.deepcopy(QUICK_TEACHER) if args.quick else TEACHER,
            checkpoint=None)
    else:
        cfg.model.pop('teacher', None)
        cfg.model.distillation = dict(type='none')
    return cfg


def train_tool():
    """tools/train.py as a module (for its ``enable_amp``)."""
    import importlib.util
    path = Path(__file__).resolve().parents[1] / 'train.py'
    spec = importlib.util.spec_from_file_location('mmdeit_train_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def optim_wrapper_for(cfg, model, device: str):
    """The config's optim wrapper as tools/train.py --amp makes it on CUDA
    (AmpOptimWrapper, float16, dynamic loss scale); fp32 on the CPU."""
    from mmengine.optim import build_optim_wrapper
    if device == 'cuda':
        train_tool().enable_amp(cfg)
    return build_optim_wrapper(model, cfg.optim_wrapper)


def synthetic_batch(batch: int, size: int, classes: int, device: str):
    """uint8 images (pinned on CUDA, as the loader hands them over) and
    DataSamples."""
    images = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)
    if device == 'cuda':
        images = images.pin_memory()
    labels = torch.randint(0, classes, (batch, ))
    return dict(inputs=images, data_samples=[
        DataSample().set_gt_label(int(label)) for label in labels])


def build_student(args, teacher: bool):
    cfg = student_config(args, teacher)
    configure_cuda_transfers(cfg, cuda=args.device == 'cuda')
    model = build_model_from_config(cfg)
    model.init_weights()
    model = model.to(args.device).train()
    return cfg, model


def check_training(args, clock: Clock) -> Dict[str, object]:
    """AMP training of the distilled student: losses, speed, memory."""
    cfg, model = build_student(args, teacher=True)
    wrapper = optim_wrapper_for(cfg, model, args.device)
    data = synthetic_batch(args.batch_size, 224, cfg.model.head.num_classes,
                           args.device)
    if args.device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    losses: List[float] = []
    warmup = min(10, args.iters // 2)

    def step():
        loss = model.train_step(data, wrapper)
        losses.append(sum(v for k, v in loss.items() if 'loss' in k).item())

    clock.time(step, warmup)
    seconds = clock.time(step, args.iters - warmup)
    scaler = getattr(wrapper, 'loss_scaler', None)
    return dict(
        wrapper=type(wrapper).__name__,
        dtype=str(getattr(wrapper, 'cast_dtype', None) or 'float16'
                  if args.device == 'cuda' else 'float32'),
        fused=wrapper.optimizer.defaults.get('fused'),
        iters=args.iters, batch=args.batch_size,
        img_s=(args.iters - warmup) * args.batch_size / seconds,
        first_loss=losses[0], last_loss=losses[-1],
        finite=all(map(lambda v: v == v and abs(v) != float('inf'), losses)),
        loss_scale=None if scaler is None else float(scaler.get_scale()),
        memory_gb=torch.cuda.max_memory_allocated() / 2**30
        if args.device == 'cuda' else None)


def largest_batch(run: Callable[[int], object], limit: int) -> int:
    """The largest power of two up to ``limit`` at which ``run(batch)``
    does not run out of memory."""
    batch, best = 1, 0
    while batch <= limit:
        try:
            run(batch)
            best = batch
            batch *= 2
        except torch.cuda.OutOfMemoryError:
            break
        finally:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
    if best == 0:
        raise RuntimeError('not even a batch of 1 fits')
    return best


def throughput(args, clock: Clock) -> List[Dict[str, object]]:
    """img/s of mmdeit and timm at the largest batch, fp32 and AMP."""
    import timm
    rows = []
    pairs = THROUGHPUT[:1] if args.quick else THROUGHPUT
    reduced = dict(depth=QUICK_ARCH['num_layers']) if args.quick else {}
    inputs: Dict[int, torch.Tensor] = {}
    for name, timm_name in pairs:
        reference = timm.create_model(timm_name, **reduced).eval()
        with tempfile.TemporaryDirectory() as tmp:
            path = osp.join(tmp, 'weights.pth')
            torch.save({'model': reference.state_dict()}, path)
            model = mmdeit.get_model(name, pretrained=path, **(dict(
                backbone=dict(arch=QUICK_ARCH)) if args.quick else {}))
        models = dict(mmdeit=model.to(args.device),
                      timm=reference.to(args.device))
        dtype = torch.float16 if args.device == 'cuda' else torch.bfloat16
        for precision in ('fp32', f'{str(dtype)[6:]} autocast'):
            amp = precision != 'fp32'

            def forward(net, batch):
                # one input per batch size: timings hold the model only
                if batch not in inputs:
                    inputs.clear()
                    inputs[batch] = torch.randn(batch, 3, 224, 224,
                                                device=args.device)
                context = torch.autocast(args.device, dtype=dtype) if amp \
                    else nullcontext()
                with torch.inference_mode(), context:
                    net(inputs[batch])

            batch = largest_batch(lambda b: forward(model, b), args.max_batch)
            speeds = {}
            for key, net in models.items():
                forward(net, batch)  # warm-up (kernel choice, allocator)
                rounds = [batch * args.runs / clock.time(
                    lambda: forward(net, batch), args.runs)
                    for _ in range(3 if not args.quick else 1)]
                speeds[key] = statistics.median(rounds)
            rows.append(dict(model=name, precision=precision, batch=batch,
                             mmdeit=speeds['mmdeit'], timm=speeds['timm']))
        del models, model, reference
    return rows


def distilled_split(args, clock: Clock) -> Dict[str, float]:
    """Seconds per training batch: student step, teacher forward (under the
    wrapper's autocast, as in training), and their sum."""
    cfg, student = build_student(args, teacher=False)
    wrapper = optim_wrapper_for(cfg, student, args.device)
    _, distilled = build_student(args, teacher=True)
    data = synthetic_batch(args.batch_size, 224, cfg.model.head.num_classes,
                           args.device)
    runs = 2 if args.quick else 20
    student_s = clock.time(lambda: student.train_step(data, wrapper), 2)
    student_s = clock.time(lambda: student.train_step(data, wrapper),
                           runs) / runs
    inputs = distilled.data_preprocessor(data, training=True)['inputs']

    def teacher():
        with wrapper.optim_context(distilled):
            distilled.teacher(inputs)

    clock.time(teacher, 2)
    teacher_s = clock.time(teacher, runs) / runs
    return dict(batch=args.batch_size, student=student_s, teacher=teacher_s)


def environment(args) -> str:
    lines = [f'torch {torch.__version__}, mmdeit {mmdeit.__version__}']
    try:
        import timm
        lines[0] += f', timm {timm.__version__}'
    except ImportError:
        pass
    if args.device == 'cuda':
        props = torch.cuda.get_device_properties(0)
        lines.append(f'GPU: {props.name}, {props.total_memory / 2**30:.0f} '
                     f'GiB, CUDA {torch.version.cuda}, cuDNN '
                     f'{torch.backends.cudnn.version()}, bf16 '
                     f'{torch.cuda.is_bf16_supported()}')
    else:
        lines.append(f'CPU ({torch.backends.cpu.get_cpu_capability()}), '
                     f'{torch.get_num_threads()} threads')
    if args.quick:
        lines.append('--quick: reduced model (2 layers), tiny counts: checks '
                     'the script, the figures mean nothing')
    return '\n'.join(f'- {line}' for line in lines)


def markdown(args, training, rows, split) -> str:
    out = ['# GPU check', '', environment(args), '',
           f'## Training: {training["iters"]} iterations, DeiT-S distilled '
           f'(hard, {"a 1-layer DeiT" if args.quick else "RegNetY-16GF"} '
           'teacher, random weights), synthetic data', '',
           '| optim wrapper | dtype | fused AdamW | batch | img/s | first '
           'loss | last loss | all finite | loss scale | peak memory GiB |',
           '|---|---|---|---|---|---|---|---|---|---|',
           f'| {training["wrapper"]} | {training["dtype"]} | '
           f'{training["fused"]} | {training["batch"]} | '
           f'{training["img_s"]:.1f} | {training["first_loss"]:.3f} | '
           f'{training["last_loss"]:.3f} | {training["finite"]} | '
           f'{training["loss_scale"]} | '
           + (f'{training["memory_gb"]:.1f} |' if training["memory_gb"]
              is not None else '- |'),
           '', '## Inference throughput (largest batch, same weights)', '',
           '| model | precision | batch | mmdeit img/s | timm img/s | '
           'mmdeit / timm |', '|---|---|---|---|---|---|']
    for row in rows:
        out.append(f'| {row["model"]} | {row["precision"]} | {row["batch"]} '
                   f'| {row["mmdeit"]:.4g} | {row["timm"]:.4g} | '
                   f'{row["mmdeit"] / row["timm"]:.3f} |')
    total = split['student'] + split['teacher']
    out += ['', f'## Distilled training step, batch {split["batch"]}', '',
            '| part | ms per batch | share |', '|---|---|---|',
            f'| student (forward, backward, AdamW) | '
            f'{split["student"] * 1e3:.1f} | {split["student"] / total:.0%} |',
            f'| teacher forward (autocast) | {split["teacher"] * 1e3:.1f} | '
            f'{split["teacher"] / total:.0%} |',
            f'| distilled step | {total * 1e3:.1f} | |', '']
    return '\n'.join(out)


def main(argv=None) -> str:
    args = parse_args(argv)
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    torch.manual_seed(0)
    clock = Clock(args.device)
    started = time.perf_counter()
    training = check_training(args, clock)
    print(f'training done ({time.perf_counter() - started:.0f} s)',
          flush=True)
    rows = throughput(args, clock)
    print(f'throughput done ({time.perf_counter() - started:.0f} s)',
          flush=True)
    split = distilled_split(args, clock)
    text = markdown(args, training, rows, split)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    print(f'written to {args.out} ({time.perf_counter() - started:.0f} s)')
    return text


if __name__ == '__main__':
    main()
