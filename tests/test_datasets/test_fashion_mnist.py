"""mmdeit.datasets.fashion_mnist on IDX files the tests write:
parsing (gzipped or raw), the errors that name the bad file, the image
folder it writes (read back by CustomDataset), the download code on
file:// URLs, and the chain of sources (folder given, files on the machine,
URLs, apt-get mocked)."""
import gzip
import hashlib
import struct
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdeit.datasets import CustomDataset, fashion_mnist
from tests.helpers.repo import load_tool

TYPE_CODES = {np.dtype('u1'): 0x08, np.dtype('>i4'): 0x0C,
              np.dtype('>f4'): 0x0D}


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` in the IDX format, written independently of the code under
    test: 0, 0, type code, ndim, big-endian uint32 dims, big-endian data."""
    dtype = array.dtype.newbyteorder('>') if array.dtype.itemsize > 1 \
        else array.dtype
    header = struct.pack('>BBBB', 0, 0, TYPE_CODES[dtype], array.ndim)
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    return header + array.astype(dtype).tobytes()


def write_split(folder: Path, split: str, images: np.ndarray,
                labels: np.ndarray, gz: bool = True) -> None:
    image_name, label_name = fashion_mnist.SPLITS[split]
    for name, array in ((image_name, images), (label_name, labels)):
        data = idx_bytes(array)
        if gz:
            (folder / f'{name}.gz').write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def fake_split(count: int, seed: int):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    return images, labels


@pytest.fixture
def idx_dir(tmp_path) -> Path:
    folder = tmp_path / 'idx'
    folder.mkdir()
    write_split(folder, 'train', *fake_split(30, 0))
    write_split(folder, 'test', *fake_split(12, 1), gz=False)
    return folder


def test_parse_idx_types_and_shapes():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    assert np.array_equal(fashion_mnist.parse_idx(idx_bytes(images)), images)
    ints = np.array([[1, -2, 70000]], dtype=np.int32)
    parsed = fashion_mnist.parse_idx(idx_bytes(ints))
    assert parsed.shape == (1, 3) and parsed.tolist() == [[1, -2, 70000]]
    floats = np.array([0.5, -1.25], dtype=np.float32)
    assert fashion_mnist.parse_idx(idx_bytes(floats)).tolist() == [0.5, -1.25]


def test_load_split_gz_and_raw(idx_dir):
    train_images, train_labels = fake_split(30, 0)
    images, labels = fashion_mnist.load_split(str(idx_dir), 'train')
    assert np.array_equal(images, train_images)
    assert labels.tolist() == train_labels.tolist()
    images, labels = fashion_mnist.load_split(str(idx_dir), 'test')  # raw
    assert np.array_equal(images, fake_split(12, 1)[0])
    assert labels.tolist() == [i % 10 for i in range(12)]


@pytest.mark.parametrize('corrupt, message', [
    (lambda data: b'\x01\x00' + data[2:], 'not an IDX file'),
    (lambda data: data[:2] + b'\x07' + data[3:], 'type code 0x07'),
    (lambda data: data[:-5], 'truncated'),
    (lambda data: data + b'\x00', 'truncated or corrupt'),
    (lambda data: data[:3], 'too short'),
])
def test_corrupt_image_file_is_named(idx_dir, corrupt, message):
    path = idx_dir / 'train-images-idx3-ubyte.gz'
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(corrupt(data)))
    with pytest.raises(fashion_mnist.IDXError, match=message) as error:
        fashion_mnist.load_split(str(idx_dir), 'train')
    assert str(path) in str(error.value)


def test_swapped_files_fail_on_the_magic_number(idx_dir):
    images = idx_dir / 'train-images-idx3-ubyte.gz'
    labels = idx_dir / 'train-labels-idx1-ubyte.gz'
    images_data = images.read_bytes()
    images.write_bytes(labels.read_bytes())
    labels.write_bytes(images_data)
    with pytest.raises(fashion_mnist.IDXError,
                       match='magic number 0x00000801, expected 0x00000803'):
        fashion_mnist.load_split(str(idx_dir), 'train')


def test_inconsistent_splits(idx_dir):
    images, labels = fake_split(30, 0)
    write_split(idx_dir, 'train', images, labels[:29])
    with pytest.raises(fashion_mnist.IDXError,
                       match='30 images but .* 29 labels'):
        fashion_mnist.load_split(str(idx_dir), 'train')
    write_split(idx_dir, 'train', images, (labels + 5).astype(np.uint8))
    with pytest.raises(fashion_mnist.IDXError, match='label 14 outside 0..9'):
        fashion_mnist.load_split(str(idx_dir), 'train')
    write_split(idx_dir, 'train', images[:, :27], labels)
    with pytest.raises(fashion_mnist.IDXError, match=r'\(27, 28\)'):
        fashion_mnist.load_split(str(idx_dir), 'train')
    (idx_dir / 'train-images-idx3-ubyte.gz').unlink()
    with pytest.raises(FileNotFoundError,
                       match='train-images-idx3-ubyte.gz in'):
        fashion_mnist.load_split(str(idx_dir), 'train')


def test_convert_writes_an_image_folder(idx_dir, tmp_path, capsys):
    out = tmp_path / 'fashion_mnist'
    sizes = fashion_mnist.convert(str(idx_dir), str(out))
    assert sizes == {'train': 30, 'test': 12}
    lines = (out / 'meta' / 'train.txt').read_text().splitlines()
    assert lines[:3] == ['train/00000.png 0', 'train/00001.png 1',
                         'train/00002.png 2']
    assert len((out / 'meta' / 'test.txt').read_text().splitlines()) == 12
    classes = (out / 'classes.txt').read_text().splitlines()
    assert classes[0] == 'T-shirt/top' and classes[9] == 'Ankle boot'
    # PNG is lossless: the pixels come back exactly
    images, _ = fake_split(30, 0)
    png = cv2.imread(str(out / 'train' / '00007.png'), cv2.IMREAD_UNCHANGED)
    assert png.shape == (28, 28) and np.array_equal(png, images[7])
    assert 'writing 30 train images' in capsys.readouterr().out

    dataset = CustomDataset(data_root=str(out), ann_file='meta/test.txt',
                            data_prefix='', classes=str(out / 'classes.txt'))
    assert len(dataset) == 12
    info = dataset.get_data_info(5)
    assert info['gt_label'] == 5
    assert info['img_path'] == str(out / 'test' / '00005.png')
    assert dataset.metainfo['classes'][5] == 'Sandal'

    # a second run keeps the images; the script's --force writes them again
    stamp = (out / 'train' / '00000.png').stat().st_mtime_ns
    fashion_mnist.convert(str(idx_dir), str(out))
    assert 'already holds' in capsys.readouterr().out
    assert (out / 'train' / '00000.png').stat().st_mtime_ns == stamp
    load_tool('tools/dataset_converters/fashion_mnist.py').main(
        ['--source', str(idx_dir), '--out', str(out), '--force'])
    assert 'writing 12 test images' in capsys.readouterr().out


def test_other_data_of_the_same_sizes_is_converted_again(idx_dir, tmp_path,
                                                         capsys):
    """The record of what was converted is the pixels and labels, not the
    split sizes: new files of the same sizes replace the old images."""
    out = tmp_path / 'fashion_mnist'
    fashion_mnist.convert(str(idx_dir), str(out))
    record = (out / 'meta' / 'source.json').read_text()
    images, labels = fake_split(30, 7)
    write_split(idx_dir, 'train', images, labels)
    capsys.readouterr()
    fashion_mnist.convert(str(idx_dir), str(out))
    assert 'writing 30 train images' in capsys.readouterr().out
    png = cv2.imread(str(out / 'train' / '00007.png'), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(png, images[7])
    assert (out / 'meta' / 'source.json').read_text() != record


def test_resolve_source(idx_dir, tmp_path, monkeypatch):
    out = str(tmp_path / 'out')
    assert fashion_mnist.resolve_source(str(idx_dir), out, False) == \
        str(idx_dir)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        fashion_mnist.resolve_source(str(tmp_path / 'nowhere'), out, False)
    monkeypatch.setattr(fashion_mnist, 'DEBIAN_DIR', str(idx_dir))
    assert fashion_mnist.resolve_source(None, out, False) == str(idx_dir)
    monkeypatch.setattr(fashion_mnist, 'DEBIAN_DIR', str(tmp_path / 'none'))
    with pytest.raises(FileNotFoundError, match='dataset-fashion-mnist'):
        fashion_mnist.resolve_source(None, out, False)


class FakeApt:
    """Stands in for apt-get: ``install`` copies the IDX files into the
    Debian folder, as the package does; ``known`` is False until ``update``
    (a fresh machine's empty package lists)."""

    def __init__(self, idx_dir: Path, debian_dir: Path, known: bool = True):
        self.idx_dir, self.debian_dir, self.known = idx_dir, debian_dir, known
        self.commands = []

    def run(self, command, **kwargs):
        self.commands.append(command)
        returncode = 0
        if command[:2] == ['apt-get', 'update']:
            self.known = True
        elif command[:2] == ['apt-get', 'install'] and self.known:
            assert command[-1] == 'dataset-fashion-mnist'
            assert kwargs['env']['DEBIAN_FRONTEND'] == 'noninteractive'
            self.debian_dir.mkdir(parents=True)
            for path in self.idx_dir.iterdir():
                (self.debian_dir / path.name).write_bytes(path.read_bytes())
        else:
            returncode = 100  # apt-get: unable to locate package
        return subprocess.CompletedProcess(
            command, returncode, 'E: Unable to locate package' *
            bool(returncode))


@pytest.fixture
def offline(idx_dir, tmp_path, monkeypatch):
    """A machine without the Debian package whose network reaches no
    official URL, with apt-get mocked by :class:`FakeApt`; yields the fake
    apt and the list of reported steps."""
    debian_dir = tmp_path / 'debian' / 'fashion-mnist'
    monkeypatch.setattr(fashion_mnist, 'DEBIAN_DIR', str(debian_dir))
    monkeypatch.setattr(fashion_mnist, 'URLS',
                        ((tmp_path / 'offline').as_uri() + '/', ))
    apt = FakeApt(idx_dir, debian_dir)
    monkeypatch.setattr(fashion_mnist.subprocess, 'run', apt.run)
    monkeypatch.setattr(fashion_mnist.shutil, 'which',
                        lambda name: f'/usr/bin/{name}')
    monkeypatch.setattr(fashion_mnist.os, 'geteuid', lambda: 0)
    return apt, []


@pytest.fixture
def mirror(tmp_path, monkeypatch) -> Path:
    """A "mirror" of the four .gz files, served through file:// URLs, whose
    MD5 sums are the expected ones."""
    folder = tmp_path / 'mirror'
    folder.mkdir()
    write_split(folder, 'train', *fake_split(30, 0))
    write_split(folder, 'test', *fake_split(12, 1))
    monkeypatch.setattr(fashion_mnist, 'MD5', {
        name: hashlib.md5((folder / name).read_bytes()).hexdigest()
        for name in fashion_mnist.MD5})
    return folder


def test_source_chain_folder_then_url_then_apt(offline, idx_dir, tmp_path):
    apt, steps = offline
    out = str(tmp_path / 'out')
    # 1. the folder given wins: nothing downloaded or installed
    assert fashion_mnist.resolve_source(
        str(idx_dir), out, True, report=steps.append) == str(idx_dir)
    assert steps == [f'the folder given: {idx_dir}'] and not apt.commands

    # 2.-4. no folder: the download fails, apt-get installs the package
    steps.clear()
    source = fashion_mnist.resolve_source(None, out, True,
                                          report=steps.append)
    assert source == fashion_mnist.DEBIAN_DIR
    assert fashion_mnist.load_split(source, 'train')[1].tolist() == \
        [i % 10 for i in range(30)]
    assert apt.commands == [['apt-get', 'install', '-y',
                             '--no-install-recommends',
                             'dataset-fashion-mnist']]
    assert steps[0].startswith('no folder given and dataset-fashion-mnist '
                               'not installed: downloading')
    assert steps[1].startswith('downloading file://')
    # the one URL's failure said where it happened, not only at the end
    assert steps[2].startswith('  failed (') and \
        steps[2].endswith('); no URL left')
    assert steps[3].startswith('download failed: file://') and \
        'train-images-idx3-ubyte.gz' in steps[3]
    assert steps[4] == ('installing the Debian package: apt-get install -y '
                        '--no-install-recommends dataset-fashion-mnist')
    assert steps[5] == ('the Debian package dataset-fashion-mnist, '
                        f'installed now: {source}')

    # next time the installed package is found without network or apt
    steps.clear()
    apt.commands.clear()
    assert fashion_mnist.resolve_source(None, out, True,
                                        report=steps.append) == source
    assert steps == [f'the Debian package dataset-fashion-mnist, installed: '
                     f'{source}'] and not apt.commands


def test_source_chain_prefers_a_download(offline, mirror, tmp_path,
                                         monkeypatch):
    apt, steps = offline
    monkeypatch.setattr(fashion_mnist, 'URLS', (mirror.as_uri() + '/', ))
    out = tmp_path / 'out'
    assert fashion_mnist.resolve_source(None, str(out), True,
                                        report=steps.append) == \
        str(out / 'raw')
    assert steps[-1] == f'downloaded: {out / "raw"}' and not apt.commands
    steps.clear()
    # the files downloaded before are used again, before anything else
    assert fashion_mnist.resolve_source(None, str(out), True,
                                        report=steps.append) == \
        str(out / 'raw')
    assert steps == [f'downloaded before: {out / "raw"}']


def test_a_failed_url_is_said_before_the_next(offline, mirror, tmp_path):
    """The first URL fails (offline), the mirror serves: each step is
    said as it happens."""
    apt, steps = offline
    offline_url = (tmp_path / 'offline').as_uri() + '/'
    fashion_mnist.download(str(tmp_path / 'raw'),
                           (offline_url, mirror.as_uri() + '/'),
                           report=steps.append)
    name = 'train-images-idx3-ubyte.gz'
    assert steps[:3] == [
        f'downloading {offline_url}{name}', steps[1],
        f'downloading {mirror.as_uri()}/{name}']
    assert steps[1].startswith('  failed (') and \
        steps[1].endswith('); trying the next URL')
    # each of the four files: the offline URL's failure, then the mirror
    assert len([step for step in steps if step.startswith('  failed')]) == 4


def test_apt_install_updates_lists_first_on_a_fresh_machine(offline,
                                                            tmp_path):
    apt, steps = offline
    apt.known = False
    source = fashion_mnist.resolve_source(None, str(tmp_path / 'out'), True,
                                          report=steps.append)
    assert source == fashion_mnist.DEBIAN_DIR
    assert [command[1] for command in apt.commands] == \
        ['install', 'update', 'install']
    assert any('apt-get update' in step for step in steps)


def test_source_chain_says_what_to_run_when_nothing_works(
        offline, tmp_path, monkeypatch):
    apt, steps = offline
    out = str(tmp_path / 'out')
    monkeypatch.setattr(fashion_mnist.os, 'geteuid', lambda: 1000)
    with pytest.raises(fashion_mnist.DataUnavailable) as error:
        fashion_mnist.resolve_source(None, out, True, report=steps.append)
    message = str(error.value)
    assert 'could not download train-images-idx3-ubyte.gz' in message
    assert 'run: sudo apt-get install dataset-fashion-mnist' in message
    assert not apt.commands

    monkeypatch.setattr(fashion_mnist.shutil, 'which', lambda name: None)
    with pytest.raises(fashion_mnist.DataUnavailable,
                       match='no apt-get on this machine'):
        fashion_mnist.resolve_source(None, out, True, report=steps.append)

    # apt-get that fails even after an update: its output is shown
    monkeypatch.setattr(fashion_mnist.shutil, 'which',
                        lambda name: f'/usr/bin/{name}')
    monkeypatch.setattr(fashion_mnist.os, 'geteuid', lambda: 0)
    monkeypatch.setattr(apt, 'run', lambda command, **kwargs:
                        subprocess.CompletedProcess(command, 100, 'E: no'))
    monkeypatch.setattr(fashion_mnist.subprocess, 'run', apt.run)
    with pytest.raises(fashion_mnist.DataUnavailable,
                       match=r'failed \(exit code 100\):\nE: no'):
        fashion_mnist.resolve_source(None, out, True, report=steps.append)

    # downloads off and no apt: the message names the package
    with pytest.raises(FileNotFoundError, match='dataset-fashion-mnist'):
        fashion_mnist.resolve_source(None, out, False)


def test_download_checks_md5_and_reports_offline(mirror, tmp_path,
                                                 monkeypatch):
    md5 = fashion_mnist.MD5
    dead = (tmp_path / 'offline').as_uri() + '/'
    target = tmp_path / 'downloaded'
    fashion_mnist.download(str(target), urls=(dead, mirror.as_uri() + '/'))
    for name in md5:
        assert (target / name).read_bytes() == (mirror / name).read_bytes()
    assert fashion_mnist.load_split(str(target), 'test')[1].tolist() == \
        [i % 10 for i in range(12)]

    monkeypatch.setattr(fashion_mnist, 'MD5',
                        dict(md5, **{'t10k-labels-idx1-ubyte.gz': '0' * 32}))
    with pytest.raises(fashion_mnist.DataUnavailable,
                       match='MD5 .*, expected 0{32}'):
        fashion_mnist.download(str(tmp_path / 'again'),
                               urls=(mirror.as_uri() + '/', ))
    with pytest.raises(fashion_mnist.DataUnavailable, match=r'offline\?'):
        fashion_mnist.download(str(tmp_path / 'third'), urls=(dead, ))
