"""Confusion matrix of a classifier on its config's test set, one panel per
head for a distilled model (both heads, class token, distillation token and,
from predictions that have them, the teacher).

    python tools/analysis_tools/confusion_matrix.py CONFIG CHECKPOINT
        --out FIG.png [--no-values] [--cfg-options key=value ...]

CHECKPOINT is a checkpoint (any layout mmdeit reads; the test set is then
evaluated here) or the predictions file of
``tools/test.py CONFIG CKPT --out FILE --out-item pred``.
"""
import argparse

from mmengine.config import DictAction

from mmdeit.apis.analysis import draw_confusion


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Confusion matrix per head')
    parser.add_argument('config', help='config file or zoo name')
    parser.add_argument('checkpoint',
                        help='checkpoint, or predictions of tools/test.py '
                        '--out-item pred')
    parser.add_argument('--out', required=True, help='image file to write')
    parser.add_argument('--no-values', action='store_true',
                        help='leave the percentages out of the cells')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    matrices = draw_confusion(args.config, args.checkpoint, args.out,
                              not args.no_values, args.cfg_options)
    for title, matrix in matrices.items():
        accuracy = 100 * matrix.diag().sum().item() / matrix.sum().item()
        print(f'{title}: top-1 {accuracy:.2f} % of {matrix.sum().item()} '
              'images')
    print(f'saved {args.out}')
    return matrices


if __name__ == '__main__':
    main()
