"""Images per second of the DeiT training augmentation, mmdeit against timm.

Runs, in one process and one thread, on the same JPEG files:

* mmdeit: LoadImageFromFile (cv2) -> RandomResizedCrop 224 bicubic ->
  RandomFlip -> RandAugment rand-m9-mstd0.5-inc1 -> RandomErasing 0.25
  'pixel' (on uint8) -> PackInputs;
* timm: ``Image.open(...).convert('RGB')`` (timm's ImageDataset loader) ->
  ``create_transform(224, is_training=True,
  auto_augment='rand-m9-mstd0.5-inc1', re_prob=0.25, re_mode='pixel',
  interpolation='bicubic')``, which ends with ToTensor, Normalize and
  RandomErasing.

timm's output is normalised float; ours is uint8, normalised later by the
data preprocessor on the whole batch. The line "mmdeit + normalise" adds
that per-image conversion on the CPU too, for a like-for-like comparison.
The pipelines alternate in blocks over the file list, ``--rounds`` times;
img/s are images over the process's CPU time (one thread: per core, and
robust to other processes sharing the machine), with wall-time figures
beside them.

Photos: ``--make-photos SRC...`` first writes ~450 px JPEGs (quality 90)
into the folder from the photos in SRC: each photo whole and three crops of
it, longer side 450. docs/benchmarks.md used the 12 nature photos of
Debian's ``mate-backgrounds`` package and matplotlib's sample photo
``grace_hopper.jpg``::

    apt-get download mate-backgrounds
    dpkg -x mate-backgrounds_*.deb work_dirs/mate
    HOPPER=$(python -c "import matplotlib as m; \\
        print(m.get_data_path() + '/sample_data/grace_hopper.jpg')")
    python tools/analysis_tools/benchmark_pipeline.py work_dirs/photos \\
        --make-photos work_dirs/mate/usr/share/backgrounds/mate/nature \\
        "$HOPPER"
"""
import argparse
import glob
import os
import os.path as osp
import random
import time

import cv2
import numpy as np
import torch

IMG_SIZE = 224
SPEC = 'rand-m9-mstd0.5-inc1'
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('folder', help='folder of JPEG photos')
    parser.add_argument('--make-photos', metavar='SRC', nargs='+',
                        help='first fill the folder from the JPEG photos in '
                        'these folders or files')
    parser.add_argument('--rounds', type=int, default=5,
                        help='passes over the files for each pipeline')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def list_jpegs(folder):
    if osp.isfile(folder):
        return [folder]
    return sorted(p for p in glob.glob(osp.join(folder, '**', '*'),
                                       recursive=True)
                  if p.lower().endswith(('.jpg', '.jpeg')))


def make_photos(sources, dst, long_side=450):
    """Whole photo and three crops (portrait left, square centre, landscape
    right) of each JPEG in ``sources``, longer side ``long_side``."""
    os.makedirs(dst, exist_ok=True)
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
            scale = long_side / max(vh, vw)
            out = cv2.resize(view, (round(vw * scale), round(vh * scale)),
                             interpolation=cv2.INTER_AREA)
            cv2.imwrite(osp.join(dst, f'{stem}_{name}.jpg'), out,
                        [cv2.IMWRITE_JPEG_QUALITY, 90])


def build_mmdeit():
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope

    import mmdeit.datasets  # noqa: F401
    init_default_scope('mmdeit')
    return Compose([
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=IMG_SIZE,
             interpolation='bicubic'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandAugment', policies=SPEC),
        dict(type='RandomErasing', erase_prob=0.25, mode='pixel'),
        dict(type='PackInputs'),
    ])


def build_timm():
    from PIL import Image
    from timm.data import create_transform
    from timm.data import auto_augment

    # timm 1.0 asks Pillow for 0 bits at magnitude 10 of
    # PosterizeIncreasing, which Pillow >= 9.1 refuses; old Pillow returned
    # black, as this does.
    keep_bits = auto_augment.posterize

    def posterize(img, bits_to_keep, **kwargs):
        if bits_to_keep <= 0:
            return Image.new(img.mode, img.size)
        return keep_bits(img, bits_to_keep, **kwargs)

    auto_augment.NAME_TO_OP['PosterizeIncreasing'] = posterize
    transform = create_transform(
        IMG_SIZE, is_training=True, auto_augment=SPEC, re_prob=0.25,
        re_mode='pixel', interpolation='bicubic')

    def run(path):
        with open(path, 'rb') as f:
            img = Image.open(f).convert('RGB')
        return transform(img)

    return run


def normalise(packed):
    """What the data preprocessor does to one image: BGR -> RGB, float,
    (x - mean) / std."""
    img = packed['inputs'].flip(0).float()
    return (img - torch.from_numpy(MEAN).view(3, 1, 1)) / torch.from_numpy(
        STD).view(3, 1, 1)


def main():
    args = parse_args()
    if args.make_photos:
        make_photos(args.make_photos, args.folder)
    files = list_jpegs(args.folder)
    if not files:
        raise SystemExit(f'no JPEG files in {args.folder}')
    sizes = np.array([cv2.imread(p).shape[:2] for p in files])
    print(f'{len(files)} files, mean size {sizes[:, 1].mean():.0f} x '
          f'{sizes[:, 0].mean():.0f} (w x h)')

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    ours = build_mmdeit()
    theirs = build_timm()
    runners = {
        'timm': theirs,
        'mmdeit': lambda p: ours(dict(img_path=p, gt_label=0)),
        'mmdeit + normalise':
        lambda p: normalise(ours(dict(img_path=p, gt_label=0))),
    }
    for run in runners.values():  # warm up
        run(files[0])
    # CPU time of this (single-threaded) process is the per-core cost and
    # does not count time lost to other processes; wall time is printed too.
    cpu = dict.fromkeys(runners, 0.0)
    wall = dict.fromkeys(runners, 0.0)
    for r in range(args.rounds):
        order = list(runners) if r % 2 == 0 else list(runners)[::-1]
        for name in order:
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            for path in files:
                runners[name](path)
            cpu[name] += time.process_time() - start_cpu
            wall[name] += time.perf_counter() - start_wall
    count = len(files) * args.rounds
    rate = {name: count / s for name, s in cpu.items()}
    print(f'{count} images per pipeline; img/s per core (CPU time), '
          'then by wall time:')
    for name in runners:
        print(f'{name:20s} {rate[name]:7.1f} img/s '
              f'({cpu[name] / count * 1e3:.2f} ms/img)   wall '
              f'{count / wall[name]:7.1f} img/s')
    for name in ('mmdeit', 'mmdeit + normalise'):
        print(f'ratio {name} / timm: {rate[name] / rate["timm"]:.2f}x '
              f'(wall {wall["timm"] / wall[name]:.2f}x)')


if __name__ == '__main__':
    main()
