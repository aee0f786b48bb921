"""Convert Fashion-MNIST's IDX files to an image folder that
``CustomDataset`` reads (``mmdeit.datasets.fashion_mnist``).

    python tools/dataset_converters/fashion_mnist.py [--source DIR] \
        [--out data/fashion_mnist] [--download] [--force]

Without ``--source``: the files already on the machine (``OUT/raw`` from an
earlier download, or the Debian package's folder when
``dataset-fashion-mnist`` is installed); otherwise, with ``--download``, the
files are fetched from the official URLs into ``OUT/raw`` (their MD5
checked), and where that fails the Debian package is installed with apt-get
(as root; else the error says what to run). Each step is printed.
"""
import argparse
import sys

from mmdeit.datasets import fashion_mnist


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert Fashion-MNIST IDX files to an image folder')
    parser.add_argument(
        '--source',
        help='folder of the four IDX files, .gz or not (default: '
        f'{fashion_mnist.DEBIAN_DIR} when the Debian package is installed)')
    parser.add_argument('--out', default='data/fashion_mnist',
                        help='output folder (default: %(default)s)')
    parser.add_argument(
        '--download', action='store_true',
        help='without --source or files on the machine, download them from '
        'the official URLs into OUT/raw, else install the Debian package '
        f'{fashion_mnist.DEBIAN_PACKAGE} with apt-get')
    parser.add_argument('--force', action='store_true',
                        help='write the images even if OUT holds them')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        source = fashion_mnist.resolve_source(
            args.source, args.out, args.download,
            report=fashion_mnist.print_step)
    except fashion_mnist.DataUnavailable as error:
        sys.exit(f'tools/dataset_converters/fashion_mnist.py: {error}')
    print(f'reading Fashion-MNIST from {source}', flush=True)
    sizes = fashion_mnist.convert(source, args.out, args.force)
    print(f'done: {sizes} images in {args.out}', flush=True)


if __name__ == '__main__':
    main()
