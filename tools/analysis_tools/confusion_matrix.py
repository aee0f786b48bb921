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
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmdeit.apis import class_names, get_model, load_config  # noqa: E402
from mmdeit.evaluation import read_predictions, stack_predictions  # noqa
from mmdeit.evaluation.metrics.dump_predictions import \
    is_predictions  # noqa: E402
from mmdeit.visualization import confusion_figure, head_matrices  # noqa


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


def looks_like_predictions(path: str) -> bool:
    if not osp.isfile(path):
        return False
    try:
        return is_predictions(torch.load(path, map_location='cpu',
                                         weights_only=True, mmap=True))
    except Exception:  # noqa: BLE001 (a checkpoint that needs trust, etc.)
        return False


@torch.no_grad()
def predict_test_set(model, cfg) -> dict:
    from mmengine.runner import Runner

    from mmdeit.utils import register_all_modules
    register_all_modules()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    samples = []
    for data in loader:
        samples += [sample.to_dict() for sample in model.test_step(data)]
    return stack_predictions(samples)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if looks_like_predictions(args.checkpoint):
        predictions = read_predictions(args.checkpoint)
        model = get_model(cfg)
    else:
        model = get_model(cfg, pretrained=args.checkpoint)
        predictions = predict_test_set(model, cfg)
    matrices = head_matrices(predictions)
    fig = confusion_figure(matrices, class_names(model),
                           include_values=not args.no_values)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=100)
    for title, matrix in matrices.items():
        accuracy = 100 * matrix.diag().sum().item() / matrix.sum().item()
        print(f'{title}: top-1 {accuracy:.2f} % of {matrix.sum().item()} '
              'images')
    print(f'saved {args.out}')
    return matrices


if __name__ == '__main__':
    main()
