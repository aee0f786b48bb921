"""The measurements of ``tools/analysis_tools/gpu_check.sh``, for the first
GPU a run gets: each one a row of a Markdown table that runs on its own, so
that one failing (a missing API, an out-of-memory, a kernel error) is
recorded in its row and the others still run.

Sections (``--checks``):

* ``training``: ``--iters`` training iterations of DeiT-S distilled (hard
  distillation from a RegNetY-16GF teacher with random weights) on
  synthetic uint8 images, in fp32, with fp16 AMP (``AmpOptimWrapper``,
  dynamic loss scaling: what ``tools/train.py --amp`` builds on CUDA) and
  with bf16 autocast (``AutocastOptimWrapper``);
* ``inference``: the DeiT paper's throughput protocol: the largest batch
  that fits (doubling up to ``--max-batch``), img/s over ``--runs``
  batches, mmdeit against timm with the same weights: fp32, fp16 and bf16
  autocast, and bf16 weights (``get_model(..., precision='bf16')``);
* ``teacher``: RegNetY-16GF's forward in fp32 and under fp16 / bf16
  autocast (the distiller's ``teacher.autocast_dtype``), img/s and how many
  arg-max labels the low precision changes;
* ``distilled``: one distilled training step split into the student's part
  (forward, backward, AdamW) and the teacher's forward, with fp16 AMP on
  CUDA.

``--device cpu --quick`` runs every row on reduced models (the figures mean
nothing) to check the code itself; fp16 AMP needs CUDA and says so.
"""
import copy
import os.path as osp
import statistics
import tempfile
import time
import traceback
from contextlib import nullcontext
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import torch
from mmengine.optim import build_optim_wrapper

import mmdeit
from mmdeit.apis import build_model_from_config, load_config
from mmdeit.engine.optimizers import mixed_precision_cfg
from mmdeit.structures import DataSample
from mmdeit.utils import register_all_modules
from mmdeit.utils.cuda import configure_cuda_transfers

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
SECTIONS = ('training', 'inference', 'teacher', 'distilled')
TRAINING_PRECISIONS = ('fp32', 'fp16 AMP', 'bf16 autocast')
INFERENCE_PRECISIONS = ('fp32', 'fp16 autocast', 'bf16 autocast',
                        'bf16 weights')
TEACHER_PRECISIONS = ('fp32', 'fp16 autocast', 'bf16 autocast')


class NotApplicable(Exception):
    """The measurement does not apply to this device (e.g. fp16 AMP, whose
    loss scaling needs CUDA, on a CPU)."""


class Check(NamedTuple):
    """One row: its section, its name, and the function measuring it,
    which returns the row's cells."""
    section: str
    name: str
    measure: Callable[[], Dict[str, object]]


class Row(NamedTuple):
    """A measured row: ``status`` is 'ok', 'n/a' or 'FAILED'; ``error``
    the reason when not 'ok'; ``cells`` the measured values."""
    section: str
    name: str
    status: str
    cells: Dict[str, object]
    error: str = ''
    seconds: float = 0.0


def run_checks(checks: Sequence[Check],
               log: Callable[[str], None] = print) -> List[Row]:
    """Run every check, each on its own: an exception becomes a 'FAILED'
    row naming it (:class:`NotApplicable` an 'n/a' row), and the next check
    runs all the same."""
    rows = []
    for check in checks:
        start = time.perf_counter()
        try:
            rows.append(Row(check.section, check.name, 'ok', check.measure()))
        except NotApplicable as reason:
            rows.append(Row(check.section, check.name, 'n/a', {},
                            str(reason)))
        except Exception as error:  # noqa: B902 (every failure is recorded)
            detail = traceback.format_exception_only(type(error), error)
            rows.append(Row(check.section, check.name, 'FAILED', {},
                            detail[-1].strip()))
        finally:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        row = rows[-1] = rows[-1]._replace(
            seconds=time.perf_counter() - start)
        log(f'{check.section} / {check.name}: {row.status} '
            f'({row.seconds:.0f} s) {row.error}'.rstrip())
    return rows


# --- timing ------------------------------------------------------------------


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


def largest_batch(run: Callable[[int], object], limit: int) -> int:
    """The largest power of two up to ``limit`` at which ``run(batch)``
    does not run out of memory."""
    batch, best = 1, 0
    while batch <= limit:
        try:
            run(batch)
        except torch.cuda.OutOfMemoryError:
            break
        finally:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        best = batch
        batch *= 2
    if best == 0:
        raise RuntimeError('not even a batch of 1 fits')
    return best


def precision_context(precision: str, device: str):
    """The autocast of a precision name ('fp16 ...', 'bf16 ...'), or none
    for 'fp32'."""
    if precision.startswith('fp16'):
        return torch.autocast(device, dtype=torch.float16)
    if precision.startswith('bf16'):
        return torch.autocast(device, dtype=torch.bfloat16)
    return nullcontext()


# --- the models --------------------------------------------------------------


class Settings(NamedTuple):
    device: str = 'cuda'
    iters: int = 200
    batch_size: int = 128
    max_batch: int = 2048
    runs: int = 10
    quick: bool = False

    @classmethod
    def for_quick(cls, **kwargs) -> 'Settings':
        """Reduced counts for ``--quick``."""
        settings = cls(**kwargs)
        if not settings.quick:
            return settings
        return settings._replace(
            iters=min(settings.iters, 3),
            batch_size=min(settings.batch_size, 2),
            max_batch=min(settings.max_batch, 4),
            runs=min(settings.runs, 2))


def student_config(settings: Settings, teacher: bool):
    cfg = load_config(STUDENT)
    if settings.quick:
        cfg.merge_from_dict(dict(model=dict(
            backbone=dict(arch=dict(_delete_=True, **QUICK_ARCH)),
            head=dict(in_channels=QUICK_ARCH['embed_dims']))))
    cfg.model.pop('init_cfg', None)
    if teacher:
        cfg.model.teacher = dict(
            cfg=copy.deepcopy(QUICK_TEACHER) if settings.quick else TEACHER,
            checkpoint=None)
    else:
        cfg.model.pop('teacher', None)
        cfg.model.distillation = dict(type='none')
    return cfg


def mixed_precision_wrapper(wrapper_cfg: dict, precision: str,
                            device: str) -> dict:
    """The optim wrapper config of a training precision: 'fp32' as
    configured, 'fp16 AMP' as ``tools/train.py --amp`` sets it on CUDA
    (``AmpOptimWrapper``, dynamic loss scale), 'bf16 autocast' as it sets
    it on the CPU (``AutocastOptimWrapper``, bfloat16)."""
    wrapper_cfg = copy.deepcopy(wrapper_cfg)
    if precision == 'fp16 AMP':
        if device != 'cuda':
            raise NotApplicable('fp16 AMP (loss scaling) needs CUDA')
        return mixed_precision_cfg(wrapper_cfg, device)
    if precision == 'bf16 autocast':
        return mixed_precision_cfg(wrapper_cfg, device, bf16=True)
    return wrapper_cfg


def synthetic_batch(batch: int, size: int, classes: int, device: str):
    """uint8 images (pinned on CUDA, as the loader hands them over) and
    DataSamples."""
    images = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)
    if device == 'cuda':
        images = images.pin_memory()
    labels = torch.randint(0, classes, (batch, ))
    return dict(inputs=images, data_samples=[
        DataSample().set_gt_label(int(label)) for label in labels])


def build_student(settings: Settings, teacher: bool):
    cfg = student_config(settings, teacher)
    configure_cuda_transfers(cfg, cuda=settings.device == 'cuda')
    model = build_model_from_config(cfg)
    model.init_weights()
    return cfg, model.to(settings.device).train()


# --- the checks -------------------------------------------------------------


def training(settings: Settings, clock: Clock,
             precision: str) -> Dict[str, object]:
    """Training iterations of the distilled student: losses, speed,
    memory."""
    cfg, model = build_student(settings, teacher=True)
    wrapper = build_optim_wrapper(model, mixed_precision_wrapper(
        cfg.optim_wrapper, precision, settings.device))
    data = synthetic_batch(settings.batch_size, 224,
                           cfg.model.head.num_classes, settings.device)
    if settings.device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    losses: List[float] = []
    warmup = min(10, settings.iters // 2)

    def step():
        loss = model.train_step(data, wrapper)
        losses.append(loss['loss'].item())  # the total mmengine logs

    clock.time(step, warmup)
    seconds = clock.time(step, settings.iters - warmup)
    scaler = getattr(wrapper, 'loss_scaler', None)
    return dict(
        wrapper=type(wrapper).__name__,
        fused=wrapper.optimizer.defaults.get('fused'),
        groups=len(wrapper.optimizer.param_groups),
        batch=settings.batch_size,
        img_s=(settings.iters - warmup) * settings.batch_size / seconds,
        first_loss=losses[0], last_loss=losses[-1],
        finite=all(v == v and abs(v) != float('inf') for v in losses),
        loss_scale=None if scaler is None else float(scaler.get_scale()),
        memory_gb=torch.cuda.max_memory_allocated() / 2**30
        if settings.device == 'cuda' else None)


class _Throughput:
    """The mmdeit and timm models of one zoo entry, with the same weights,
    built once for the rows of every precision."""

    def __init__(self, settings: Settings, name: str, timm_name: str):
        self.settings, self.name = settings, name
        self.timm_name, self.models = timm_name, None
        self.inputs: Dict[int, torch.Tensor] = {}

    def build(self):
        if self.models is not None:
            return self.models
        import timm
        quick = self.settings.quick
        reduced = dict(depth=QUICK_ARCH['num_layers']) if quick else {}
        reference = timm.create_model(self.timm_name, **reduced).eval()
        self.weights = tempfile.TemporaryDirectory()
        self.path = osp.join(self.weights.name, 'weights.pth')
        torch.save({'model': reference.state_dict()}, self.path)
        model = mmdeit.get_model(self.name, pretrained=self.path,
                                 **self.overrides())
        device = self.settings.device
        self.models = dict(mmdeit=model.to(device),
                           timm=reference.to(device))
        return self.models

    def overrides(self) -> dict:
        return dict(backbone=dict(arch=QUICK_ARCH)) \
            if self.settings.quick else {}

    def batch(self, size: int) -> torch.Tensor:
        # one input per batch size: timings hold the model only
        if size not in self.inputs:
            self.inputs.clear()
            self.inputs[size] = torch.randn(size, 3, 224, 224,
                                            device=self.settings.device)
        return self.inputs[size]

    def measure(self, precision: str, clock: Clock) -> Dict[str, object]:
        models = dict(self.build())
        device = self.settings.device
        if precision == 'bf16 weights':
            # cast once, fp32 images in, fp32 logits out; timm's peer is
            # bf16 autocast
            models['mmdeit'] = mmdeit.get_model(
                self.name, pretrained=self.path, precision='bf16',
                **self.overrides()).to(device)

        def forward(net, size):
            context = nullcontext() if net is models['mmdeit'] and \
                precision == 'bf16 weights' else \
                precision_context(precision, device)
            with torch.inference_mode(), context:
                return net(self.batch(size))

        batch = largest_batch(lambda b: forward(models['mmdeit'], b),
                              self.settings.max_batch)
        speeds = {}
        for key, net in models.items():
            forward(net, batch)  # warm-up (kernel choice, allocator)
            rounds = [batch * self.settings.runs / clock.time(
                lambda: forward(net, batch), self.settings.runs)
                for _ in range(1 if self.settings.quick else 3)]
            speeds[key] = statistics.median(rounds)
        return dict(batch=batch, mmdeit=speeds['mmdeit'],
                    timm=speeds['timm'])


class _TeacherForward:
    """The teacher and a batch, built once; its fp32 labels kept for the
    agreement of the other precisions."""

    def __init__(self, settings: Settings):
        self.settings, self.model, self.labels = settings, None, None

    def measure(self, precision: str, clock: Clock) -> Dict[str, object]:
        settings = self.settings
        if self.model is None:
            _, distilled = build_student(settings, teacher=True)
            self.model = distilled.teacher
            torch.manual_seed(0)
            self.inputs = torch.randn(settings.batch_size, 3, 224, 224,
                                      device=settings.device)
        self.model.autocast_dtype = {
            'fp32': None, 'fp16 autocast': torch.float16,
            'bf16 autocast': torch.bfloat16}[precision]
        logits = self.model(self.inputs)
        labels = logits.argmax(1)
        if precision == 'fp32':
            self.labels = labels
        runs = 2 if settings.quick else 10
        seconds = clock.time(lambda: self.model(self.inputs), runs)
        agree = None if self.labels is None else \
            (labels == self.labels).float().mean().item()
        return dict(batch=settings.batch_size,
                    img_s=settings.batch_size * runs / seconds,
                    agreement=agree, finite=bool(torch.isfinite(logits).all()))


def distilled_split(settings: Settings, clock: Clock) -> Dict[str, float]:
    """Seconds per training batch: student step, teacher forward (under the
    wrapper's autocast, as in training), and their sum; fp16 AMP on CUDA
    (what ``tools/train.py --amp`` trains with), fp32 on the CPU."""
    cfg, student = build_student(settings, teacher=False)
    precision = 'fp16 AMP' if settings.device == 'cuda' else 'fp32'
    wrapper = build_optim_wrapper(student, mixed_precision_wrapper(
        cfg.optim_wrapper, precision, settings.device))
    _, distilled = build_student(settings, teacher=True)
    data = synthetic_batch(settings.batch_size, 224,
                           cfg.model.head.num_classes, settings.device)
    runs = 2 if settings.quick else 20
    clock.time(lambda: student.train_step(data, wrapper), 2)
    student_s = clock.time(lambda: student.train_step(data, wrapper),
                           runs) / runs
    inputs = distilled.data_preprocessor(data, training=True)['inputs']

    def teacher():
        with wrapper.optim_context(distilled):
            distilled.teacher(inputs)

    clock.time(teacher, 2)
    teacher_s = clock.time(teacher, runs) / runs
    return dict(batch=settings.batch_size, student=student_s,
                teacher=teacher_s)


def checks(settings: Settings,
           sections: Sequence[str] = SECTIONS) -> List[Check]:
    """The rows of ``sections``, in table order."""
    clock = Clock(settings.device)
    out: List[Check] = []
    if 'training' in sections:
        out += [Check('training', precision,
                      lambda p=precision: training(settings, clock, p))
                for precision in TRAINING_PRECISIONS]
    if 'inference' in sections:
        pairs = THROUGHPUT[:1] if settings.quick else THROUGHPUT
        for name, timm_name in pairs:
            models = _Throughput(settings, name, timm_name)
            out += [Check('inference', f'{name} {precision}',
                          lambda p=precision, m=models: m.measure(p, clock))
                    for precision in INFERENCE_PRECISIONS]
    if 'teacher' in sections:
        teacher = _TeacherForward(settings)
        out += [Check('teacher', precision,
                      lambda p=precision: teacher.measure(p, clock))
                for precision in TEACHER_PRECISIONS]
    if 'distilled' in sections:
        out.append(Check('distilled', 'student step + teacher forward',
                         lambda: distilled_split(settings, clock)))
    return out


# --- the report -------------------------------------------------------------


def _number(value, digits: str = '.1f') -> str:
    if value is None:
        return '-'
    return format(value, digits)


def _status(row: Row) -> str:
    return 'ok' if row.status == 'ok' else f'{row.status}: {row.error}'


def training_table(rows: List[Row]) -> List[str]:
    out = ['| precision | status | optim wrapper | fused AdamW | param groups '
           '| batch | img/s | first loss | last loss | all finite | loss '
           'scale | peak memory GiB |', '|---|---|---|---|---|---|---|---|'
           '---|---|---|---|']
    for row in rows:
        c = row.cells
        out.append(
            f'| {row.name} | {_status(row)} | {c.get("wrapper", "-")} | '
            f'{c.get("fused", "-")} | {c.get("groups", "-")} | '
            f'{c.get("batch", "-")} | {_number(c.get("img_s"))} | '
            f'{_number(c.get("first_loss"), ".3f")} | '
            f'{_number(c.get("last_loss"), ".3f")} | '
            f'{c.get("finite", "-")} | {_number(c.get("loss_scale"), "g")} | '
            f'{_number(c.get("memory_gb"))} |')
    return out


def inference_table(rows: List[Row]) -> List[str]:
    out = ['| model, precision | status | batch | mmdeit img/s | timm img/s '
           '| mmdeit / timm |', '|---|---|---|---|---|---|']
    for row in rows:
        c = row.cells
        ratio = c['mmdeit'] / c['timm'] if row.status == 'ok' else None
        out.append(f'| {row.name} | {_status(row)} | {c.get("batch", "-")} '
                   f'| {_number(c.get("mmdeit"), ".4g")} | '
                   f'{_number(c.get("timm"), ".4g")} | '
                   f'{_number(ratio, ".3f")} |')
    return out


def teacher_table(rows: List[Row]) -> List[str]:
    out = ['| precision | status | batch | img/s | arg-max labels as fp32 '
           '| all finite |', '|---|---|---|---|---|---|']
    for row in rows:
        c = row.cells
        agreement = c.get('agreement')
        out.append(f'| {row.name} | {_status(row)} | {c.get("batch", "-")} '
                   f'| {_number(c.get("img_s"))} | '
                   f'{"-" if agreement is None else f"{agreement:.1%}"} | '
                   f'{c.get("finite", "-")} |')
    return out


def distilled_table(rows: List[Row]) -> List[str]:
    out = ['| part | ms per batch | share of the distilled step |',
           '|---|---|---|']
    for row in rows:
        if row.status != 'ok':
            out.append(f'| {row.name} | {_status(row)} | |')
            continue
        c = row.cells
        total = c['student'] + c['teacher']
        out += [f'| student (forward, backward, AdamW), batch {c["batch"]} '
                f'| {c["student"] * 1e3:.1f} | {c["student"] / total:.0%} |',
                f'| teacher forward (the wrapper\'s precision) | '
                f'{c["teacher"] * 1e3:.1f} | {c["teacher"] / total:.0%} |',
                f'| distilled step | {total * 1e3:.1f} | 100% |']
    return out


TABLES = {
    'training': ('Training: DeiT-S distilled (hard, RegNetY-16GF teacher, '
                 'random weights), synthetic data', training_table),
    'inference': ('Inference throughput (largest batch, same weights as '
                  'timm)', inference_table),
    'teacher': ('Teacher forward (RegNetY-16GF, random weights)',
                teacher_table),
    'distilled': ('Distilled training step', distilled_table),
}


def environment(settings: Settings) -> List[str]:
    lines = [f'torch {torch.__version__}, mmdeit {mmdeit.__version__}']
    try:
        import timm
        lines[0] += f', timm {timm.__version__}'
    except ImportError:
        lines[0] += ', timm missing'
    if settings.device == 'cuda':
        props = torch.cuda.get_device_properties(0)
        lines.append(f'GPU: {props.name}, {props.total_memory / 2**30:.0f} '
                     f'GiB, CUDA {torch.version.cuda}, cuDNN '
                     f'{torch.backends.cudnn.version()}, bf16 '
                     f'{torch.cuda.is_bf16_supported()}')
    else:
        lines.append(f'CPU ({torch.backends.cpu.get_cpu_capability()}), '
                     f'{torch.get_num_threads()} threads')
    if settings.quick:
        lines.append('--quick: reduced models (2 layers; a 1-layer DeiT as '
                     'the teacher), tiny counts: checks the code, the '
                     'figures mean nothing')
    return [f'- {line}' for line in lines]


def markdown(settings: Settings, rows: List[Row]) -> str:
    """The report: environment, one table per section that ran, and the
    list of failures."""
    out = ['# GPU check', ''] + environment(settings)
    for section, (title, make) in TABLES.items():
        section_rows = [r for r in rows if r.section == section]
        if section_rows:
            out += ['', f'## {title}', ''] + make(section_rows)
    failed = [r for r in rows if r.status == 'FAILED']
    out += ['', f'## Failures: {len(failed)} of {len(rows)} measurements', '']
    out += [f'- {r.section} / {r.name}: {r.error}' for r in failed] or \
        ['- none']
    return '\n'.join(out) + '\n'


def run(settings: Settings, sections: Sequence[str] = SECTIONS,
        log: Callable[[str], None] = print) -> List[Row]:
    """Every measurement of ``sections``, failures recorded."""
    register_all_modules()
    torch.manual_seed(0)
    return run_checks(checks(settings, sections), log)


def check_device(device: str) -> Optional[str]:
    """Why ``device`` cannot be measured here, or None."""
    if device == 'cuda' and not torch.cuda.is_available():
        return 'no CUDA device; --device cpu --quick checks the code'
    return None
