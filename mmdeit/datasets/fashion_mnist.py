"""Fashion-MNIST (Xiao et al., 2017) from its IDX files to an image folder
that ``CustomDataset`` reads, and where to find those files.

The source is a folder holding the four official files, gzipped or not
(``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``);
:func:`resolve_source` finds one (a folder given, files on the machine, the
official URLs, the Debian package ``dataset-fashion-mnist``), saying each
step. :func:`convert` writes::

    OUT/train/00000.png ... 59999.png   28x28 grey PNGs
    OUT/test/00000.png ... 09999.png
    OUT/meta/train.txt, OUT/meta/test.txt   "<path> <class index>" lines,
                                            paths relative to OUT
    OUT/meta/source.json                     SHA-256 of each split's pixels
                                            and labels, what OUT holds
    OUT/classes.txt                          the 10 class names, in order

``tools/dataset_converters/fashion_mnist.py`` is its command line.
"""
import gzip
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Callable, Dict, Optional, Sequence, Tuple

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
DEBIAN_PACKAGE = 'dataset-fashion-mnist'
DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
# Official locations (the project's README): the AWS bucket first, the
# GitHub repository as a mirror. MD5 of the .gz files as published there.
URLS = ('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
        'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/'
        'master/data/fashion/')
DOWNLOAD_TIMEOUT = 30  # seconds per request
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


class DataUnavailable(RuntimeError):
    """No source of the IDX files worked; the message says what was tried
    and what to do."""


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


def download(folder: str, urls: Sequence[str] = URLS,
             report: Callable[[str], None] = print) -> None:
    """Fetch the four .gz files into ``folder`` from the first of ``urls``
    that works, checking their MD5; files already there are kept. Raises
    :class:`DataUnavailable` (with each URL's error) at the first file that
    no URL delivers."""
    os.makedirs(folder, exist_ok=True)
    for name, md5 in MD5.items():
        path = osp.join(folder, name)
        if osp.isfile(path):
            continue
        errors = []
        for number, base in enumerate(urls, 1):
            url = base + name
            next_step = 'trying the next URL' if number < len(urls) \
                else 'no URL left'
            report(f'downloading {url}')
            try:
                with urllib.request.urlopen(
                        url, timeout=DOWNLOAD_TIMEOUT) as response:
                    data = response.read()
            except (urllib.error.URLError, OSError) as error:
                errors.append(f'{url}: {error}')
                report(f'  failed ({error}); {next_step}')
                continue
            digest = hashlib.md5(data).hexdigest()
            if digest != md5:
                errors.append(f'{url}: MD5 {digest}, expected {md5}')
                report(f'  failed (MD5 {digest}, expected {md5}); '
                       f'{next_step}')
                continue
            with open(path + '.part', 'wb') as f:
                f.write(data)
            os.replace(path + '.part', path)
            break
        else:
            raise DataUnavailable(f'could not download {name} (offline?):'
                                  '\n  ' + '\n  '.join(errors))


def has_idx_files(folder: str) -> bool:
    """Whether ``folder`` holds the four IDX files (.gz or not)."""
    try:
        for names in SPLITS.values():
            for name in names:
                find_idx_file(folder, name)
    except FileNotFoundError:
        return False
    return True


def default_source() -> Optional[str]:
    """The Debian package's folder when it holds the files, else None."""
    return DEBIAN_DIR if has_idx_files(DEBIAN_DIR) else None


def apt_install(report: Callable[[str], None] = print) -> None:
    """Install the Debian package :data:`DEBIAN_PACKAGE` with apt-get,
    refreshing the package lists first if apt does not know it (a fresh
    machine's lists may be empty). Raises :class:`DataUnavailable` saying
    what to run where apt-get is missing, the user is not root, or apt-get
    fails."""
    command = ['apt-get', 'install', '-y', '--no-install-recommends',
               DEBIAN_PACKAGE]
    if shutil.which('apt-get') is None:
        raise DataUnavailable('no apt-get on this machine (not Debian or '
                              f'Ubuntu): no package {DEBIAN_PACKAGE}')
    if os.geteuid() != 0:
        raise DataUnavailable(f'not root, so {DEBIAN_PACKAGE} was not '
                              'installed; run: sudo apt-get install '
                              f'{DEBIAN_PACKAGE}')
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    report('installing the Debian package: ' + ' '.join(command))
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        report('apt-get install failed: refreshing the package lists '
               '(apt-get update), then again')
        subprocess.run(['apt-get', 'update'], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise DataUnavailable(
            f'apt-get install {DEBIAN_PACKAGE} failed (exit code '
            f'{done.returncode}):\n' + done.stdout[-2000:])
    if not has_idx_files(DEBIAN_DIR):
        raise DataUnavailable(f'{DEBIAN_PACKAGE} is installed but '
                              f'{DEBIAN_DIR} lacks the IDX files')


def resolve_source(source: Optional[str], out_dir: str,
                   allow_download: bool, allow_install: Optional[bool] = None,
                   report: Callable[[str], None] = print) -> str:
    """The folder to read the IDX files from, each step said to ``report``:

    1. ``source``, the folder the user gave;
    2. the files already on this machine: ``OUT/raw`` from an earlier
       download, or the Debian package's folder when it is installed;
    3. a download from the official URLs into ``OUT/raw`` (if
       ``allow_download``);
    4. installing the Debian package with apt-get (if ``allow_install``,
       which defaults to ``allow_download``).

    Raises :class:`FileNotFoundError` for a ``source`` that is not there,
    :class:`DataUnavailable` (saying what was tried and what to do) when
    every step failed.
    """
    if source is not None:
        if not osp.isdir(source):
            raise FileNotFoundError(f'IDX folder {source!r} does not exist')
        report(f'the folder given: {source}')
        return source
    raw = osp.join(out_dir, 'raw')
    if has_idx_files(raw):
        report(f'downloaded before: {raw}')
        return raw
    if default_source() is not None:
        report(f'the Debian package {DEBIAN_PACKAGE}, installed: '
               f'{DEBIAN_DIR}')
        return DEBIAN_DIR
    if allow_install is None:
        allow_install = allow_download
    if not (allow_download or allow_install):
        raise FileNotFoundError(
            'no Fashion-MNIST IDX files: pass their folder, install the '
            f'Debian package {DEBIAN_PACKAGE}, or allow downloading')
    failures = ['no folder given']
    if allow_download:
        report(f'no folder given and {DEBIAN_PACKAGE} not installed: '
               'downloading from the official URLs')
        try:
            download(raw, URLS, report)
            report(f'downloaded: {raw}')
            return raw
        except DataUnavailable as error:
            report('download failed: ' + str(error).splitlines()[-1].strip())
            failures.append(str(error))
    if allow_install:
        try:
            apt_install(report)
            report(f'the Debian package {DEBIAN_PACKAGE}, installed now: '
                   f'{DEBIAN_DIR}')
            return DEBIAN_DIR
        except DataUnavailable as error:
            failures.append(str(error))
    raise DataUnavailable(
        'no Fashion-MNIST data:\n- ' + '\n- '.join(failures) +
        f'\nInstall the Debian package ({DEBIAN_PACKAGE}), or download '
        f'the four files yourself from {URLS[0]} and pass their folder.')


SOURCE_RECORD = osp.join('meta', 'source.json')


def split_digests(splits: Dict[str, Tuple[np.ndarray, np.ndarray]]
                  ) -> Dict[str, str]:
    """split -> SHA-256 of its images and labels (their bytes in C order):
    what a conversion was made from, whatever the files' compression."""
    digests = {}
    for split, (images, labels) in splits.items():
        digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
        digest.update(np.ascontiguousarray(labels).tobytes())
        digests[split] = digest.hexdigest()
    return digests


def is_converted(out_dir: str, digests: Dict[str, str]) -> bool:
    """Whether ``out_dir`` already holds a finished conversion of the data
    whose :func:`split_digests` are ``digests`` (its record, written last,
    says so and the last image of each split is there)."""
    try:
        with open(osp.join(out_dir, SOURCE_RECORD)) as f:
            if json.load(f) != digests:
                return False
    except (OSError, ValueError):
        return False
    for split in digests:
        with open(osp.join(out_dir, 'meta', f'{split}.txt')) as f:
            lines = f.read().splitlines()
        if not lines or not osp.isfile(
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
    number of images per split. A finished conversion of the same data is
    kept unless ``force``; other data is written over it."""
    splits = {split: load_split(source, split) for split in SPLITS}
    sizes = {split: len(labels) for split, (_, labels) in splits.items()}
    digests = split_digests(splits)
    if not force and is_converted(out_dir, digests):
        print(f'{out_dir} already holds this Fashion-MNIST ({sizes}); kept',
              flush=True)
        return sizes
    record = osp.join(out_dir, SOURCE_RECORD)
    if osp.exists(record):
        os.remove(record)  # unfinished until written again
    for split, (images, labels) in splits.items():
        write_split(images, labels, out_dir, split)
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.writelines(name + '\n' for name in CLASSES)
    with open(record + '.part', 'w') as f:
        json.dump(digests, f, indent=2)
    os.replace(record + '.part', record)
    return sizes


def print_step(message: str) -> None:
    """Print one step of finding the data."""
    print(f'Fashion-MNIST: {message}', flush=True)
