"""Top-1 agreement of a model's bf16 inference with its fp32 inference on
real images.

    python tools/analysis_tools/precision_agreement.py MODEL IMAGES... \
        [--checkpoint CKPT] [--batch-size 16] [--seed 0] [--threads N]

MODEL is a zoo name or config; IMAGES are files or folders. Without
``--checkpoint`` the model has random weights (drawn with ``--seed``), whose
scores are close to ties: their agreement says less than a trained
model's. For a data set with a config, ``tools/test.py --precision bf16
--out-item pred`` gives the same comparison over the whole test set.
"""
import argparse

import torch

from mmdeit.apis import get_model
from mmdeit.benchmarks.agreement import list_images, precision_agreement
from mmdeit.benchmarks.hardware import describe_machine


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='zoo name or config path')
    parser.add_argument('images', nargs='+', help='image files or folders')
    parser.add_argument('--checkpoint', default=False,
                        help='weights (default: random)')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = get_model(args.model, pretrained=args.checkpoint)
    images = list_images(args.images)
    agreement = precision_agreement(model, images, args.batch_size)
    weights = args.checkpoint or f'random weights (seed {args.seed})'
    print(f'{describe_machine()}\n{args.model}, {weights}, '
          f'{len(images)} images\n{agreement.text()}', flush=True)
    return agreement


if __name__ == '__main__':
    main()
