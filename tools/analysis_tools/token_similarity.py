"""Cosine similarity between the class and distillation tokens of a
distilled DeiT at each layer, and between its two heads' predictions.

    python tools/analysis_tools/token_similarity.py CONFIG CHECKPOINT DATA...
        [--max-images 1000] [--out FIG.png] [--out-json FILE.json]
        [--cfg-options key=value ...]

DATA are image files or folders (searched recursively), read with the
config's test pipeline. Prints one line per stage (the learnt tokens, the
tokens with position embedding entering layer 0, each layer's output, the
final norm) and the heads' agreement; plots the same with ``--out``.
The DeiT paper reports 0.06 for the learnt tokens and 0.93 after the last
layer of DeiT-B distilled.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmdeit.apis import get_model, load_config  # noqa: E402
from mmdeit.visualization import (SimilarityTotals, find_images,  # noqa
                                  load_batch, similarity_figure)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Class vs distillation token similarity per layer')
    parser.add_argument('config', help='config file or zoo name')
    parser.add_argument('checkpoint', help='checkpoint path or URL')
    parser.add_argument('data', nargs='+', help='image files or folders')
    parser.add_argument('--max-images', type=int, default=1000)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--out', help='save the plot to this image file')
    parser.add_argument('--out-json', help='save the figures as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    return parser.parse_args(argv)


def format_result(result: dict) -> str:
    width = max(len(name) for name, _ in result['stages'])
    lines = [f'{"stage":<{width}}  cos(cls, dist)']
    lines += [f'{name:<{width}}  {value:.4f}'
              for name, value in result['stages']]
    lines.append(f'heads: cosine of the softmax outputs '
                 f'{result["heads_cosine"]:.4f}, same top-1 '
                 f'{result["heads_agreement"]:.2f} % of '
                 f'{result["images"]} images')
    return '\n'.join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = get_model(cfg, pretrained=args.checkpoint)
    if getattr(model.backbone, 'num_extra_tokens', 1) < 2:
        sys.exit(f'{args.config}: the model has no distillation token')
    paths = find_images(args.data)[:args.max_images]
    totals = SimilarityTotals()
    for start in range(0, len(paths), args.batch_size):
        batch = load_batch(model, paths[start:start + args.batch_size])
        totals.add(model, batch.inputs)
    result = totals.result(model)
    print(format_result(result))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        similarity_figure(result, title=osp.basename(args.config)).savefig(
            args.out, dpi=100)
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
