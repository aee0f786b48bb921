"""Images per second of the DeiT data pipelines, mmdeit against timm
(``tools/analysis_tools/benchmark_pipeline.py``).

Runs, in one process and one thread, on the same JPEG files:

* training: the config's ``train_pipeline`` (LoadImageFromFile (simplejpeg) ->
  RandomResizedCrop 224 bicubic, antialiased -> RandomFlip -> RandAugment
  rand-m9-mstd0.5-inc1 -> RandomErasing 0.25 'pixel' (on uint8) ->
  PackInputs) against timm's ``Image.open(...).convert('RGB')`` (timm's
  ImageDataset loader) -> ``create_transform(224, is_training=True,
  auto_augment='rand-m9-mstd0.5-inc1', re_prob=0.25, re_mode='pixel',
  interpolation='bicubic')``; also the same pipeline with the crop resized
  by Pillow itself and by cv2 (unfiltered), to compare the backends;
* evaluation: the config's ``test_pipeline`` (resize the short side to 256,
  antialiased bicubic, centre crop 224) against timm's
  ``create_transform(224, is_training=False, interpolation='bicubic',
  crop_pct=0.875)``, and with ResizeEdge's other backends.

timm's output is normalised float; ours is uint8, normalised later by the
data preprocessor on the whole batch. The lines "+ normalise" add that
per-image conversion on the CPU too, for a like-for-like comparison.
Pipelines alternate in blocks over the file list, ``--rounds`` times;
img/s are images over the process's CPU time (one thread: per core, and
robust to other processes sharing the machine), with wall-time figures
beside them. Then it prints where the time goes stage by stage, the cost
of each RandAugment operation against timm's, how far each output is from
Pillow's (mean absolute difference in grey levels), the decoders, and,
with ``--workers``, the img/s of a DataLoader with that many workers
(``--parts`` picks the tables).

Photos: ``--make-photos SRC...`` first writes JPEGs (quality 90) of
ImageNet-like sizes into the folder from the photos in SRC: each photo
whole and three crops of it (portrait, square, landscape), longer side
500, 640 or 800 in turn (never enlarged). docs/benchmarks.md used the 12
nature photos of Debian's ``mate-backgrounds`` package and matplotlib's
sample photo ``grace_hopper.jpg``::

    apt-get download mate-backgrounds
    dpkg -x mate-backgrounds_*.deb work_dirs/mate
    HOPPER=$(python -c "import matplotlib as m; \\
        print(m.get_data_path() + '/sample_data/grace_hopper.jpg')")
    python tools/analysis_tools/benchmark_pipeline.py work_dirs/photos \\
        --make-photos work_dirs/mate/usr/share/backgrounds/mate/nature \\
        "$HOPPER" --workers 0 1 2
"""
import copy
import glob
import itertools
import os
import os.path as osp
import random
import resource
import time

import cv2
import numpy as np
import torch

SPEC = 'rand-m9-mstd0.5-inc1'
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)
LONG_SIDES = (500, 640, 800)


def list_jpegs(folder):
    if osp.isfile(folder):
        return [folder]
    return sorted(p for p in glob.glob(osp.join(folder, '**', '*'),
                                       recursive=True)
                  if p.lower().endswith(('.jpg', '.jpeg')))


def make_photos(sources, dst):
    """Whole photo and three crops (portrait left, square centre, landscape
    right) of each JPEG in ``sources``, longer side cycling through
    ``LONG_SIDES`` (at most the view's own size)."""
    os.makedirs(dst, exist_ok=True)
    sides = itertools.cycle(LONG_SIDES)
    for path in [p for src in sources for p in list_jpegs(src)]:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        side = min(h, w)
        views = {
            'full': img,
            'left': img[:side, :side * 3 // 4],
            'centre': img[(h - side) // 2:(h + side) // 2,
                          (w - side) // 2:(w + side) // 2],
            'right': img[h - side * 3 // 4:, w - side:],
        }
        stem = osp.splitext(osp.basename(path))[0]
        for name, view in views.items():
            vh, vw = view.shape[:2]
            scale = min(1.0, next(sides) / max(vh, vw))
            out = cv2.resize(view, (round(vw * scale), round(vh * scale)),
                             interpolation=cv2.INTER_AREA)
            cv2.imwrite(osp.join(dst, f'{stem}_{name}.jpg'), out,
                        [cv2.IMWRITE_JPEG_QUALITY, 90])


# --- the pipelines -----------------------------------------------------------


def with_backend(pipeline, step_type, backend):
    """A copy of ``pipeline`` whose ``step_type`` step uses ``backend``."""
    pipeline = copy.deepcopy(pipeline)
    for step in pipeline:
        if step['type'] == step_type:
            step['backend'] = backend
    return pipeline


def backend_variants(pipeline, step_type):
    """The config's pipeline first, then copies with ``step_type`` resized
    by each other backend, by name."""
    backend = next(step.get('backend', 'cv2') for step in pipeline
                   if step['type'] == step_type)
    variants = {f'config ({step_type} {backend})': pipeline}
    for other in ('torch', 'pillow', 'cv2'):
        if other != backend:
            variants[f'{step_type} {other}'] = with_backend(
                pipeline, step_type, other)
    return variants


def build_mmdeit(pipeline):
    """The transforms of ``pipeline`` (config dicts), built one by one so
    that they can also be timed one by one."""
    from mmengine.registry import init_default_scope

    import mmdeit.datasets  # noqa: F401
    from mmdeit.registry import TRANSFORMS
    init_default_scope('mmdeit')
    return [TRANSFORMS.build(step) for step in pipeline]


def run_steps(steps, path):
    results = dict(img_path=path, gt_label=0)
    for step in steps:
        results = step(results)
    return results


def patch_timm_posterize():
    """timm 1.0 asks Pillow for 0 bits at magnitude 10 of
    PosterizeIncreasing, which Pillow >= 9.1 refuses; old Pillow returned
    black, as this does (and as mmdeit does)."""
    from PIL import Image
    from timm.data import auto_augment

    keep_bits = auto_augment.posterize

    def posterize(img, bits_to_keep, **kwargs):
        if bits_to_keep <= 0:
            return Image.new(img.mode, img.size)
        return keep_bits(img, bits_to_keep, **kwargs)

    auto_augment.NAME_TO_OP['PosterizeIncreasing'] = posterize


def build_timm(img_size, is_training):
    """timm's loader (PIL) and transforms, as a list of steps."""
    from PIL import Image
    from timm.data import create_transform

    if is_training:
        transform = create_transform(
            img_size, is_training=True, auto_augment=SPEC, re_prob=0.25,
            re_mode='pixel', interpolation='bicubic')
    else:
        transform = create_transform(img_size, is_training=False,
                                     interpolation='bicubic', crop_pct=0.875)

    def load(path):
        with open(path, 'rb') as f:
            return Image.open(f).convert('RGB')

    return [load] + list(transform.transforms)


def run_timm(steps, path):
    out = path
    for step in steps:
        out = step(out)
    return out


def normalise(packed):
    """What the data preprocessor does to one image: BGR -> RGB, float,
    (x - mean) / std."""
    img = packed['inputs'].flip(0).float()
    return (img - torch.from_numpy(MEAN).view(3, 1, 1)) / torch.from_numpy(
        STD).view(3, 1, 1)


def time_pipelines(runners, files, rounds):
    """CPU and wall seconds of each runner over ``rounds`` passes of
    ``files``, the runners alternating in blocks (reversed every other
    round)."""
    for run in runners.values():  # warm up
        run(files[0])
    cpu = dict.fromkeys(runners, 0.0)
    wall = dict.fromkeys(runners, 0.0)
    for r in range(rounds):
        order = list(runners) if r % 2 == 0 else list(runners)[::-1]
        for name in order:
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            for path in files:
                runners[name](path)
            cpu[name] += time.process_time() - start_cpu
            wall[name] += time.perf_counter() - start_wall
    return cpu, wall


def report(title, runners, files, rounds):
    cpu, wall = time_pipelines(runners, files, rounds)
    count = len(files) * rounds
    rate = {name: count / s for name, s in cpu.items()}
    print(f'\n## {title}: {count} images per pipeline; img/s per core (CPU '
          'time), then by wall time')
    print('| pipeline | img/s per core | ms / image | vs timm | wall img/s |')
    print('|---|---|---|---|---|')
    for name in runners:
        print(f'| {name} | {rate[name]:.1f} | '
              f'{cpu[name] / count * 1e3:.2f} | '
              f'{rate[name] / rate["timm"]:.2f}x | '
              f'{count / wall[name]:.1f} |')


def stage_profile(title, stages, files, rounds):
    """CPU ms per image of each stage: ``stages`` is a list of (name, fn)
    applied in order, each to the previous one's output."""
    cost = [0.0] * len(stages)
    for _ in range(rounds):
        for path in files:
            out = path
            for i, (_, fn) in enumerate(stages):
                start = time.process_time()
                out = fn(out)
                cost[i] += time.process_time() - start
    count = len(files) * rounds
    print(f'\n## where the time goes, {title} (CPU ms per image)')
    for (name, _), seconds in zip(stages, cost):
        print(f'| {name} | {seconds / count * 1e3:.3f} |')
    print(f'| total | {sum(cost) / count * 1e3:.3f} |')


def as_stages(steps):
    """mmdeit transforms as profile stages; the first takes a path."""
    return [(type(steps[0]).__name__,
             lambda p, s=steps[0]: s(dict(img_path=p, gt_label=0)))] + [
                 (type(s).__name__, s) for s in steps[1:]]


def rand_augment_profile(files, img_size, rounds):
    """CPU ms per call of each RandAugment operation at magnitude 9 (DeiT's
    mean), mmdeit against timm (Pillow, bicubic, DeiT's fill), on
    ``img_size`` crops of the files, both signs alternating."""
    from PIL import Image
    from timm.data import auto_augment as timm_aa

    from mmdeit.datasets.transforms import auto_augment as aa
    crops = [cv2.resize(cv2.imread(p), (img_size, img_size),
                        interpolation=cv2.INTER_AREA) for p in files]
    pils = [Image.fromarray(np.ascontiguousarray(c[:, :, ::-1]))
            for c in crops]
    hparams = dict(translate_const=250, img_mean=aa.DEIT_PAD_VAL[::-1],
                   interpolation=Image.BICUBIC)
    print(f'\n## RandAugment operations at magnitude 9, {img_size} px: CPU '
          'ms per call')
    print('| operation | timm (Pillow) | mmdeit | timm / mmdeit |')
    print('|---|---|---|---|')
    totals = [0.0, 0.0]
    for name in aa.POLICIES['timm_increasing']:
        op = timm_aa.AugmentOp(name, prob=1.0, magnitude=9, hparams=hparams)
        cost = []
        for run in (lambda i: op(pils[i]),
                    lambda i: aa.apply_op(crops[i], name, 9)):
            random.seed(0)
            start = time.process_time()
            for _ in range(rounds):
                for i in range(len(files)):
                    run(i)
            cost.append((time.process_time() - start) / rounds / len(files)
                        * 1e3)
        totals = [t + c for t, c in zip(totals, cost)]
        print(f'| {name} | {cost[0]:.3f} | {cost[1]:.3f} | '
              f'{cost[0] / cost[1]:.1f}x |')
    count = len(aa.POLICIES['timm_increasing'])
    print(f'| mean (one op per image on average) | {totals[0] / count:.3f} '
          f'| {totals[1] / count:.3f} | {totals[0] / totals[1]:.1f}x |')


# --- how far from Pillow ----------------------------------------------------


def crop_fidelity(files, img_size, seed):
    """Mean |ours - Pillow| (grey levels) of the crop resize of each
    backend, over timm's crop boxes of every file (same seeds)."""
    from PIL import Image
    from timm.data.transforms import RandomResizedCropAndInterpolation

    from mmdeit.datasets.transforms import functional as F
    timm_crop = RandomResizedCropAndInterpolation(img_size,
                                                  interpolation='bicubic')
    diffs = {'torch': [], 'cv2': []}
    for i, path in enumerate(files):
        with Image.open(path) as pil:
            pil = pil.convert('RGB')
        bgr = np.ascontiguousarray(np.asarray(pil)[:, :, ::-1])
        random.seed(seed + i)
        top, left, h, w = timm_crop.get_params(pil, timm_crop.scale,
                                               timm_crop.ratio)
        random.seed(seed + i)
        expected = np.asarray(timm_crop(pil))[:, :, ::-1].astype(int)
        for backend in diffs:
            out = F.resize(bgr[top:top + h, left:left + w],
                           (img_size, img_size), 'bicubic', backend)
            diffs[backend].append(np.abs(out - expected).mean())
    print('\n## training crop resize against Pillow (timm\'s boxes), mean '
          '|difference| in grey levels over the files: mean / max')
    for backend, values in diffs.items():
        print(f'| {backend} | {np.mean(values):.3f} | {np.max(values):.3f} |')


def eval_fidelity(files, steps_by_name, timm_steps):
    """Mean |ours - timm| (grey levels) of the evaluation outputs."""
    print('\n## evaluation output against timm\'s (Pillow), mean |difference| '
          'in grey levels over the files: mean / max')
    std = torch.from_numpy(STD).view(3, 1, 1)
    for name, steps in steps_by_name.items():
        diffs = []
        for path in files:
            # timm does not apply EXIF orientation; compare like for like.
            ours = normalise(run_steps(steps, path))
            theirs = run_timm(timm_steps, path)
            diffs.append(((ours - theirs) * std).abs().mean().item())
        print(f'| {name} | {np.mean(diffs):.3f} | {np.max(diffs):.3f} |')


def decode_profile(files, img_size, rounds):
    """CPU ms per image of the decoders, and how far the evaluation output
    (short side int(size / 0.875), antialiased, centre crop) of each lands
    from timm's (full decode, Pillow): libjpeg's reduced decoding (cv2's
    IMREAD_REDUCED_*, Pillow's draft()) shrinks in the DCT, which changes
    the output; simplejpeg (what ``LoadImageFromFile`` uses for JPEGs) is
    the same full decode as cv2's."""
    import io

    import simplejpeg
    from PIL import Image

    from mmdeit.datasets.transforms import CenterCrop, ResizeEdge
    short = int(img_size / 0.875)
    resize, crop = ResizeEdge(short, backend='torch'), CenterCrop(img_size)

    def reduction(height, width):
        """The largest of 1, 2, 4, 8 that keeps the short side >= short."""
        return max(f for f in (1, 2, 4, 8) if min(height, width) // f >= short)

    reduced_flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
                     4: cv2.IMREAD_REDUCED_COLOR_4,
                     8: cv2.IMREAD_REDUCED_COLOR_8}

    def cv2_full(data, shape):
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)

    def simplejpeg_full(data, shape):
        return simplejpeg.decode_jpeg(data, 'BGR')

    def cv2_reduced(data, shape):
        flag = reduced_flags[reduction(*shape)]
        return cv2.imdecode(np.frombuffer(data, np.uint8), flag)

    def pil_full(data, shape):
        return np.asarray(Image.open(io.BytesIO(data)).convert('RGB'))[
            :, :, ::-1]

    def pil_draft(data, shape):
        img = Image.open(io.BytesIO(data))
        factor = reduction(*shape)
        img.draft('RGB', (shape[1] // factor, shape[0] // factor))
        return np.asarray(img.convert('RGB'))[:, :, ::-1]

    decoders = {'cv2': cv2_full, 'simplejpeg (mmdeit)': simplejpeg_full,
                'cv2 IMREAD_REDUCED_*': cv2_reduced,
                'Pillow': pil_full, 'Pillow draft()': pil_draft}
    data = [open(p, 'rb').read() for p in files]
    shapes = [cv2.imread(p).shape[:2] for p in files]
    reference = [
        crop(resize(dict(img=np.ascontiguousarray(pil_full(d, s)))))['img']
        for d, s in zip(data, shapes)]
    reduced = sum(reduction(*s) > 1 for s in shapes)
    print(f'\n## decoding for the evaluation ({reduced} of {len(files)} files '
          f'can be decoded reduced): CPU ms per image, and mean |difference| '
          f'of the {img_size} px output from a full decode (grey levels)')
    print('| decoder | ms / image | mean | max over files |')
    print('|---|---|---|---|')
    for name, decode in decoders.items():
        start = time.process_time()
        for _ in range(rounds):
            for d, s in zip(data, shapes):
                decode(d, s)
        ms = (time.process_time() - start) / rounds / len(files) * 1e3
        diffs = []
        for d, s, ref in zip(data, shapes, reference):
            img = np.ascontiguousarray(decode(d, s))
            out = crop(resize(dict(img=img)))['img']
            diffs.append(np.abs(out.astype(int) - ref).mean())
        print(f'| {name} | {ms:.2f} | {np.mean(diffs):.3f} | '
              f'{np.max(diffs):.3f} |')


# --- the loader --------------------------------------------------------------


class _Files(torch.utils.data.Dataset):

    def __init__(self, files, pipeline, length):
        self.files, self.pipeline, self.length = files, pipeline, length

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if not hasattr(self, 'steps'):  # built in the worker
            self.steps = build_mmdeit(self.pipeline)
        return run_steps(self.steps, self.files[index % len(self.files)])


class _Packed(torch.utils.data.Dataset):
    """The loader alone: every item is a fresh PackInputs output of one
    224 x 224 image, without decoding or augmenting."""

    def __init__(self, length):
        self.length = length
        self.img = np.zeros((224, 224, 3), np.uint8)

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if not hasattr(self, 'pack'):  # built in the worker
            self.pack = build_mmdeit([dict(type='PackInputs')])[0]
        return self.pack(dict(img=self.img, gt_label=0, img_path=str(index)))


def cpu_seconds():
    """CPU seconds of this process and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def loader_scaling(files, cfg, workers, images):
    """Wall img/s of a DataLoader over the training pipeline (and over
    no pipeline: the loader's own cost), after its first batch, and images
    per CPU second of the main process and the
    workers together, start-up included (on a shared machine the wall
    figure depends on the neighbours, the CPU one much less): with the
    config's collate function and with mmengine's default
    ``pseudo_collate``, which sends every image on its own."""
    import mmengine.dataset  # noqa: F401 (registers the collate functions)
    from mmengine.registry import FUNCTIONS
    batch_size = cfg.train_dataloader.batch_size
    collate = cfg.train_dataloader.get('collate_fn',
                                       dict(type='pseudo_collate'))['type']
    print(f'\n## DataLoader, batch {batch_size}, '
          f'{images} images after the first batch')
    print('| pipeline | collate | workers | img/s | img per CPU second (all '
          'processes) | startup + first batch s |')
    print('|---|---|---|---|---|---|')
    runs = [(name, num_workers, pipeline)
            for pipeline in ('training', 'none (loader only)')
            for name in dict.fromkeys((collate, 'pseudo_collate'))
            for num_workers in workers]
    for name, num_workers, pipeline in runs:
        if pipeline == 'training':
            dataset = _Files(files, cfg.train_pipeline, images + batch_size)
        else:
            dataset = _Packed(images + batch_size)
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=batch_size, num_workers=num_workers,
            collate_fn=FUNCTIONS.get(name), shuffle=False)
        cpu_start = cpu_seconds()
        start = time.perf_counter()
        batches = iter(loader)
        next(batches)
        first = time.perf_counter() - start
        start = time.perf_counter()
        count = sum(len(batch['inputs']) for batch in batches)
        seconds = time.perf_counter() - start
        del batches  # joins the workers, whose CPU time then counts
        cpu = cpu_seconds() - cpu_start
        print(f'| {pipeline} | {name} | {num_workers} | '
              f'{count / seconds:.1f} | {(count + batch_size) / cpu:.1f} '
              f'| {first:.1f} |')


PARTS = ('training', 'evaluation', 'rand-augment', 'fidelity', 'decode')


def run(folder: str, make_photos_from=None,
        config: str = 'configs/_base_/datasets/imagenet_bs64_deit_224.py',
        rounds: int = 5, workers=(), loader_images: int = 768,
        seed: int = 0, parts=PARTS) -> None:
    """Print the tables of ``parts`` (and of the loader with ``workers``)
    for the JPEG files in ``folder``, first filled from
    ``make_photos_from`` when given."""
    from mmengine.config import Config

    if make_photos_from:
        make_photos(make_photos_from, folder)
    files = list_jpegs(folder)
    if not files:
        raise SystemExit(f'no JPEG files in {folder}')
    sizes = np.array([cv2.imread(p).shape[:2] for p in files])
    print(f'{len(files)} files, mean size {sizes[:, 1].mean():.0f} x '
          f'{sizes[:, 0].mean():.0f} (w x h), from '
          f'{sizes[:, 1].min()} x {sizes[:, 0].min()} to '
          f'{sizes[:, 1].max()} x {sizes[:, 0].max()}')
    flags = [f for f in ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16')
             if f in open('/proc/cpuinfo').read().split()]
    print(f'cpu flags: {" ".join(flags)}; torch '
          f'{torch.backends.cpu.get_cpu_capability()} kernels; '
          f'load average {os.getloadavg()[0]:.1f}')

    cfg = Config.fromfile(config)
    img_size = cfg.img_size
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    patch_timm_posterize()

    train = backend_variants(cfg.train_pipeline, 'RandomResizedCrop')
    test = backend_variants(cfg.test_pipeline, 'ResizeEdge')
    for title, pipelines, is_training in (('training pipeline', train, True),
                                          ('evaluation pipeline', test,
                                           False)):
        if title.split()[0] not in parts:
            continue
        timm_steps = build_timm(img_size, is_training)
        runners = {'timm': lambda p, s=timm_steps: run_timm(s, p)}
        built = {name: build_mmdeit(p) for name, p in pipelines.items()}
        for name, steps in built.items():
            runners[f'mmdeit, {name}'] = \
                lambda p, s=steps: run_steps(s, p)
        first = next(iter(built.values()))
        runners['mmdeit, config + normalise'] = \
            lambda p, s=first: normalise(run_steps(s, p))
        report(title, runners, files, rounds)
        stage_profile(f'{title}, timm',
                      [('PIL load', timm_steps[0])] +
                      [(type(s).__name__, s) for s in timm_steps[1:]],
                      files, 1)
        stage_profile(f'{title}, mmdeit config', as_stages(first),
                      files, 1)
        if not is_training:
            eval_fidelity(files, built, timm_steps)
    if 'rand-augment' in parts:
        rand_augment_profile(files, img_size, rounds)
    if 'fidelity' in parts:
        crop_fidelity(files, img_size, seed)
    if 'decode' in parts:
        decode_profile(files, img_size, rounds)
    if workers:
        loader_scaling(files, cfg, workers, loader_images)
