"""Transfer on Fashion-MNIST, measured: does a pre-trained DeiT fine-tune
better than one trained from scratch on few images, and does a fine-tuned
teacher help while fine-tuning? (``mmdeit.experiments.transfer``;
docs/finetune.md)

    python tools/transfer_demo.py [--quick] [--seeds 0 1 2] [--shots 100]
        [--data-dir IDX_DIR] [--work-dir work_dirs/transfer] [--jobs 2]

1. Prepares the data as tools/demo.py does, and splits the classes in two
   disjoint sets: 0-4 for pre-training, 5-9 (relabelled 0-4) for the
   transfer; per seed, ``--shots`` training images of each transfer class
   are drawn.
2. Pre-trains, once, on all 30,000 training images of classes 0-4: the
   convnet teacher, the plain DeiT student and the distilled student.
3. Per seed, on the drawn images of classes 5-9: fine-tunes the teacher and
   the plain student, trains the same student from scratch, and fine-tunes
   the distilled student with hard distillation from the fine-tuned
   teacher. Each is tested on the 5,000 test images of classes 5-9.
4. Prints the accuracy table (mean ± std over the seeds, the paired t-test
   against the fine-tuned student, each seed's top-1), written to
   WORK_DIR/results.md (the record of the run: results.json).

A job that ran before on the same content is reused, so an interrupted run
continues where it stopped. ``--quick`` trains and tests on a few images for
two epochs, to check that everything runs (its accuracies mean nothing).
"""
import argparse
import shlex
import sys

from mmdeit.datasets.fashion_mnist import DataUnavailable
from mmdeit.experiments import transfer
from mmdeit.experiments.jobs import JobFailed


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Fine-tune pre-trained DeiT students on unseen '
        'Fashion-MNIST classes, against training from scratch and with a '
        'fine-tuned teacher')
    parser.add_argument('--quick', action='store_true',
                        help=f'{transfer.QUICK_SHOTS} images per class, '
                        f'{transfer.QUICK_EPOCHS} epochs: a check that '
                        'everything runs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='one draw of the transfer images and one set '
                        'of transfer runs per seed (default: 0 1 2)')
    parser.add_argument('--shots', type=int, default=100,
                        help='training images per transfer class '
                        '(default: %(default)s)')
    parser.add_argument('--data-dir',
                        help='folder of the four Fashion-MNIST IDX files '
                        '(default: as tools/demo.py)')
    parser.add_argument('--work-dir', default='work_dirs/transfer',
                        help='where data, runs and results go '
                        '(default: %(default)s)')
    parser.add_argument('--jobs', type=int, default=2,
                        help='runs at a time (default: %(default)s)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    command = shlex.join(['python', 'tools/transfer_demo.py',
                          *(sys.argv[1:] if argv is None else argv)])
    try:
        return transfer.run(args.seeds, args.shots, args.quick,
                            args.data_dir, args.work_dir, args.jobs, command)
    except (DataUnavailable, JobFailed, ValueError) as error:
        sys.exit(f'tools/transfer_demo.py: {error}')


if __name__ == '__main__':
    main()
