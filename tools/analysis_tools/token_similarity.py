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
import os.path as osp
import sys

from mmengine.config import DictAction

from mmdeit.apis.analysis import (format_similarity, save_figure,
                                  token_similarity)
from mmdeit.visualization import similarity_figure


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


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:
        result = token_similarity(args.config, args.checkpoint, args.data,
                                  args.max_images, args.batch_size,
                                  args.cfg_options)
    except ValueError as error:  # no distillation token
        sys.exit(str(error))
    print(format_similarity(result))
    if args.out:
        save_figure(similarity_figure(
            result, title=osp.basename(args.config)), args.out)
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
