"""DeiT's story on Fashion-MNIST, on a laptop CPU, in one command
(``mmdeit.experiments.demo``; docs/demo.md).

    python tools/demo.py [--quick] [--seeds 0 1 2] [--data-dir IDX_DIR]
        [--models teacher student soft hard [flips]]
        [--work-dir work_dirs/demo] [--jobs 2] [--data-only]

1. Prepares the data: the four Fashion-MNIST IDX files from ``--data-dir``,
   else files already on the machine (an earlier download, the Debian
   package ``dataset-fashion-mnist``), else downloaded from the official
   URLs, else the Debian package installed with apt-get (as root); each step
   is printed. Converted to an image folder in WORK_DIR/data/fashion_mnist.
2. Per seed, with tools/train.py and tools/test.py: trains a convnet teacher
   and a DeiT student without distillation, then two students distilled
   from that teacher (soft and hard), all on the first 10,000 training
   images; tests them on the 10,000 test images; draws the pictures of the
   hard student into WORK_DIR/seedN/figures. One line per running job shows
   its progress. A job that ran before on the same content (config, code,
   data, the checkpoints it reads) is reused; one whose content changed
   runs again, and the demo says what changed.
3. Prints the accuracy table (per head for the distilled students; over
   several seeds mean ± std and the paired t-test against the plain
   student, and each seed's top-1) and writes it to WORK_DIR/results.md,
   the record of the run to WORK_DIR/results.json, and each model's test
   metrics to WORK_DIR/seedN/<model>/test_metrics.json.

``--quick`` trains one epoch on a few batches and tests on a few, to check
that everything runs (its accuracies mean nothing). ``--models ... flips``
adds the plain student trained with flips only.
"""
import argparse
import shlex
import sys

from mmdeit.datasets.fashion_mnist import DEBIAN_DIR, DataUnavailable
from mmdeit.experiments import demo
from mmdeit.experiments.jobs import JobFailed


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train and compare a teacher and DeiT students on '
        'Fashion-MNIST')
    parser.add_argument(
        '--quick', action='store_true',
        help=f'train on {demo.QUICK_TRAIN_IMAGES} images and test on '
        f'{demo.QUICK_TEST_IMAGES}: a check that everything runs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='one full comparison per seed (default: 0)')
    parser.add_argument(
        '--models', nargs='+', choices=list(demo.MODELS),
        default=list(demo.DEFAULT_MODELS),
        help='the models to train (default: %(default)s); the distilled '
        'students bring the teacher; flips: the plain student with flips as '
        'its only augmentation')
    parser.add_argument(
        '--data-dir',
        help='folder of the four Fashion-MNIST IDX files, .gz or not '
        f'(default: {DEBIAN_DIR} when the Debian package is installed, '
        'else download them)')
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='where data, runs and results go '
                        '(default: %(default)s)')
    parser.add_argument('--jobs', type=int, default=2,
                        help='runs at a time (default: %(default)s)')
    parser.add_argument('--data-only', action='store_true',
                        help='prepare the data, then stop')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    command = shlex.join(['python', 'tools/demo.py',
                          *(sys.argv[1:] if argv is None else argv)])
    try:
        return demo.run(args.seeds, args.models, args.quick, args.data_dir,
                        args.work_dir, args.jobs, args.data_only, command)
    except (DataUnavailable, JobFailed) as error:
        sys.exit(f'tools/demo.py: {error}')


if __name__ == '__main__':
    main()
