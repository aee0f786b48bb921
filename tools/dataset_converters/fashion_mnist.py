"""Fashion-MNIST (Xiao et al., 2017) from its IDX files to an image folder
that ``CustomDataset`` reads.

    python tools/dataset_converters/fashion_mnist.py [--source DIR] \
        [--out data/fashion_mnist] [--download] [--force]

The source is a folder holding the four official files, gzipped or not
(``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``). Without
``--source``: the Debian package's folder (``apt-get install
dataset-fashion-mnist``) when it is installed; otherwise, with
``--download``, the files are fetched from the official URLs into
``OUT/raw`` (their MD5 checked).

The output::

    OUT/train/00000.png ... 59999.png   28x28 grey PNGs
    OUT/test/00000.png ... 09999.png
    OUT/meta/train.txt, OUT/meta/test.txt   "<path> <class index>" lines,
                                            paths relative to OUT
    OUT/classes.txt                          the 10 class names, in order
"""
import argparse
import gzip
import hashlib
import os
import os.path as osp
import sys
import urllib.error
import urllib.request
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
# split -> (images file, labels file), without the .gz suffix.
SPLITS = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
SPLIT_SIZES = {'train': 60000, 'test': 10000}
IMAGE_SHAPE = (28, 28)
PROGRESS_STEP = 1000
DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
# Official locations (the project's README): the AWS bucket first, the
# GitHub repository as a mirror. MD5 of the .gz files as published there.
URLS = ('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
        'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/'
        'master/data/fashion/')
MD5 = {
    'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
    't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
    't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
}

# IDX: two zero bytes, a type code, the number of dimensions, then one
# big-endian uint32 per dimension, then the data in C order, big-endian.
IDX_DTYPES = {0x08: np.dtype('u1'), 0x09: np.dtype('i1'),
              0x0B: np.dtype('>i2'), 0x0C: np.dtype('>i4'),
              0x0D: np.dtype('>f4'), 0x0E: np.dtype('>f8')}
# The magic numbers (first 4 bytes, big-endian) of MNIST-style files.
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension


class IDXError(ValueError):
    """A file that is not the IDX data it should be; the message names it."""


def read_bytes(path: str) -> bytes:
    """The content of ``path``, gunzipped when it is gzip data (whatever
    its name)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise IDXError(f'{path}: broken gzip data ({error})') from error
    return data


def parse_idx(data: bytes, name: str = '<bytes>') -> np.ndarray:
    """An IDX buffer -> array of its shape and type (native byte order).

    Raises :class:`IDXError` naming ``name`` for a bad header, an unknown
    type code, or a payload shorter or longer than the header's shape.
    """
    if len(data) < 4:
        raise IDXError(f'{name}: {len(data)} bytes, too short for an IDX '
                       'header')
    if data[0] != 0 or data[1] != 0:
        raise IDXError(f'{name}: not an IDX file (magic number '
                       f'0x{data[:4].hex()} does not start with two zero '
                       'bytes)')
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise IDXError(f'{name}: unknown IDX type code 0x{code:02x} (magic '
                       f'0x{data[:4].hex()})')
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXError(f'{name}: header of {ndim} dimensions needs {header} '
                       f'bytes, the file has {len(data)}')
    shape = tuple(int(d) for d in np.frombuffer(data, '>u4', ndim, 4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise IDXError(f'{name}: shape {shape} of {dtype.name} needs '
                       f'{expected} data bytes, the file has '
                       f'{len(data) - header} (truncated or corrupt)')
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder('='), copy=False)


def read_idx(path: str, magic: Optional[int] = None) -> np.ndarray:
    """Parse the IDX file at ``path`` (gzipped or not), checking its magic
    number when one is given."""
    data = read_bytes(path)
    array = parse_idx(data, path)
    found = int.from_bytes(data[:4], 'big')
    if magic is not None and found != magic:
        raise IDXError(f'{path}: magic number 0x{found:08x}, expected '
                       f'0x{magic:08x}')
    return array


def find_idx_file(folder: str, name: str) -> str:
    """``folder/name`` or ``folder/name.gz``, whichever exists."""
    for candidate in (name, name + '.gz'):
        path = osp.join(folder, candidate)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'neither {name} nor {name}.gz in {folder}')


def load_split(folder: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of ``split``
    ('train' or 'test'), checked against each other and the 10 classes."""
    image_path, label_path = (find_idx_file(folder, name)
                              for name in SPLITS[split])
    images = read_idx(image_path, IMAGES_MAGIC)
    labels = read_idx(label_path, LABELS_MAGIC)
    if images.shape[1:] != IMAGE_SHAPE:
        raise IDXError(f'{image_path}: images of {images.shape[1:]}, '
                       f'expected {IMAGE_SHAPE}')
    if len(images) != len(labels):
        raise IDXError(f'{image_path} holds {len(images)} images but '
                       f'{label_path} {len(labels)} labels')
    if len(labels) and labels.max() >= len(CLASSES):
        raise IDXError(f'{label_path}: label {labels.max()} outside '
                       f'0..{len(CLASSES) - 1}')
    return images, labels


def download(folder: str, urls: Sequence[str] = URLS) -> None:
    """Fetch the four .gz files into ``folder`` from the first of ``urls``
    that works, checking their MD5; files already there are kept."""
    os.makedirs(folder, exist_ok=True)
    for name, md5 in MD5.items():
        path = osp.join(folder, name)
        if osp.isfile(path):
            continue
        errors = []
        for base in urls:
            url = base + name
            print(f'downloading {url}', flush=True)
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    data = response.read()
            except (urllib.error.URLError, OSError) as error:
                errors.append(f'{url}: {error}')
                continue
            digest = hashlib.md5(data).hexdigest()
            if digest != md5:
                errors.append(f'{url}: MD5 {digest}, expected {md5}')
                continue
            with open(path + '.part', 'wb') as f:
                f.write(data)
            os.replace(path + '.part', path)
            break
        else:
            raise RuntimeError(
                f'could not download {name} (offline?):\n  ' +
                '\n  '.join(errors) +
                '\nInstall the Debian package (apt-get install '
                'dataset-fashion-mnist), or download the four files '
                f'yourself from {URLS[0]} and pass their folder.')


def default_source() -> Optional[str]:
    """The Debian package's folder when it holds the files, else None."""
    try:
        for split in SPLITS:
            for name in SPLITS[split]:
                find_idx_file(DEBIAN_DIR, name)
    except FileNotFoundError:
        return None
    return DEBIAN_DIR


def resolve_source(source: Optional[str], out_dir: str,
                   allow_download: bool) -> str:
    """The folder to read the IDX files from: ``source`` if given, else the
    Debian package's folder, else ``OUT/raw`` after downloading (when
    allowed)."""
    if source is not None:
        if not osp.isdir(source):
            raise FileNotFoundError(f'IDX folder {source!r} does not exist')
        return source
    found = default_source()
    if found is not None:
        return found
    raw = osp.join(out_dir, 'raw')
    if not allow_download:
        raise FileNotFoundError(
            'no Fashion-MNIST IDX files: pass their folder, install the '
            'Debian package dataset-fashion-mnist, or allow downloading')
    download(raw)
    return raw


def is_converted(out_dir: str, sizes: Dict[str, int]) -> bool:
    """Whether ``out_dir`` already holds a conversion with these split
    sizes (annotation files with as many lines, last images present)."""
    for split, size in sizes.items():
        ann_file = osp.join(out_dir, 'meta', f'{split}.txt')
        if not osp.isfile(ann_file):
            return False
        with open(ann_file) as f:
            lines = f.read().splitlines()
        if len(lines) != size or not lines or not osp.isfile(
                osp.join(out_dir, lines[-1].rsplit(maxsplit=1)[0])):
            return False
    return osp.isfile(osp.join(out_dir, 'classes.txt'))


def write_split(images: np.ndarray, labels: np.ndarray, out_dir: str,
                split: str) -> None:
    """PNG per image under ``out_dir/split`` and ``meta/<split>.txt``."""
    os.makedirs(osp.join(out_dir, split), exist_ok=True)
    width = max(5, len(str(len(images) - 1)))
    lines = []
    print(f'writing {len(images)} {split} images to '
          f'{osp.join(out_dir, split)}', flush=True)
    progress = ProgressBar(len(images))
    for index, (image, label) in enumerate(zip(images, labels)):
        path = f'{split}/{index:0{width}d}.png'
        if not cv2.imwrite(osp.join(out_dir, path), image):
            raise OSError(f'could not write {osp.join(out_dir, path)}')
        lines.append(f'{path} {int(label)}\n')
        # redrawn every PROGRESS_STEP images, not 60,000 times
        if (index + 1) % PROGRESS_STEP == 0 or index + 1 == len(images):
            progress.update((index + 1) - progress.completed)
    sys.stdout.write('\n')
    # the annotation file last: its presence marks a finished split
    ann_file = osp.join(out_dir, 'meta', f'{split}.txt')
    os.makedirs(osp.dirname(ann_file), exist_ok=True)
    with open(ann_file + '.part', 'w') as f:
        f.writelines(lines)
    os.replace(ann_file + '.part', ann_file)


def convert(source: str, out_dir: str, force: bool = False) -> Dict[str, int]:
    """IDX files in ``source`` -> the image folder ``out_dir``; returns the
    number of images per split. An existing complete conversion of the
    same sizes is kept unless ``force``."""
    splits = {split: load_split(source, split) for split in SPLITS}
    sizes = {split: len(labels) for split, (_, labels) in splits.items()}
    if not force and is_converted(out_dir, sizes):
        print(f'{out_dir} already holds Fashion-MNIST ({sizes}); kept',
              flush=True)
        return sizes
    for split, (images, labels) in splits.items():
        write_split(images, labels, out_dir, split)
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.writelines(name + '\n' for name in CLASSES)
    return sizes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert Fashion-MNIST IDX files to an image folder')
    parser.add_argument(
        '--source',
        help='folder of the four IDX files, .gz or not (default: '
        f'{DEBIAN_DIR} when the Debian package is installed)')
    parser.add_argument('--out', default='data/fashion_mnist',
                        help='output folder (default: %(default)s)')
    parser.add_argument(
        '--download', action='store_true',
        help='without --source and the Debian package, download the files '
        'from the official URLs into OUT/raw')
    parser.add_argument('--force', action='store_true',
                        help='write the images even if OUT holds them')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    source = resolve_source(args.source, args.out, args.download)
    print(f'reading Fashion-MNIST from {source}', flush=True)
    sizes = convert(source, args.out, args.force)
    print(f'done: {sizes} images in {args.out}', flush=True)


if __name__ == '__main__':
    main()
