"""Export a config's model to ONNX and check it with onnxruntime.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT OUT.onnx \
        [--fixed-batch] [--both-heads] [--batch-size 1] [--opset 17] \
        [--cfg-options key=value ...]

CONFIG is a config file or zoo name; CHECKPOINT a path or URL in any layout
mmdeit reads, or 'none' for random weights. The graph takes the normalised
batch (N, 3, H, W), N free unless --fixed-batch, and returns the logits (a
distilled model: the average of its two heads; with --both-heads also each
head's). The config goes into the file as JSON (data, never code). The tool
runs the file
with onnxruntime on a random batch, prints the largest absolute difference
to PyTorch per output and exits with status 1 above --tolerance.
"""
import argparse
import sys

import torch
from mmengine.config import DictAction

from mmdeit.apis import get_model, load_config
from mmdeit.apis.onnx_model import OnnxClassifier, export_onnx, max_abs_diff


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file or zoo name')
    parser.add_argument('checkpoint', help="weights, or 'none' for random")
    parser.add_argument('out', help='the ONNX file to write')
    parser.add_argument('--fixed-batch', action='store_true',
                        help='fix the batch dimension to --batch-size (by '
                        'default it is free)')
    parser.add_argument('--both-heads', action='store_true',
                        help='distilled models: also output each head')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='batch of the traced input (with --fixed-batch, '
                        "the file's batch)")
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest |PyTorch - onnxruntime| accepted')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    weights = False if args.checkpoint.lower() == 'none' else args.checkpoint
    model = get_model(cfg, pretrained=weights)
    dynamic = not args.fixed_batch
    names = export_onnx(model, args.out, args.batch_size, dynamic,
                        args.both_heads, args.opset)
    print(f'wrote {args.out}: input (N, 3, {model.backbone.img_size[0]}, '
          f'{model.backbone.img_size[1]}), outputs {", ".join(names)}, '
          f'batch {"dynamic" if dynamic else args.batch_size}')

    # a batch other than the traced one shows that the batch axis is free
    batch = args.batch_size + 1 if dynamic else args.batch_size
    torch.manual_seed(0)
    inputs = torch.randn(batch, 3, *model.backbone.img_size)
    diffs = max_abs_diff(model, OnnxClassifier(args.out, cfg=model.cfg),
                         inputs, args.both_heads)
    for name, diff in diffs.items():
        print(f'onnxruntime vs PyTorch, batch {batch}, {name}: max abs diff '
              f'{diff:.2e}')
    worst = max(diffs.values())
    if worst > args.tolerance:
        print(f'FAILED: {worst:.2e} > tolerance {args.tolerance:.0e}')
        sys.exit(1)
    return diffs


if __name__ == '__main__':
    main()
