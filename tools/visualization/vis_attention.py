"""Draw what the class and distillation tokens of a DeiT attend to.

    python tools/visualization/vis_attention.py CONFIG CHECKPOINT IMAGE...
        --out-dir DIR [--max-images 16] [--batch-size 8]
        [--cfg-options key=value ...]

IMAGE may be files or folders (searched recursively). For each image,
DIR/<image name>_attention.png shows the input as the model sees it (the
config's test pipeline), the attention rollout of each extra token overlaid
on it, and a layers x heads grid of each token's attention row over the
patch grid; its title names the prediction and, where it is known (an
image of the config's test set, or in a folder named after its class), the
true class. The weights are recomputed explicitly beside the model's fused
attention (see mmdeit.visualization.record_attention).
"""
import argparse
from typing import List

from mmengine.config import DictAction

from mmdeit.apis.analysis import draw_attention


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Attention maps of the class and distillation tokens')
    parser.add_argument('config', help='config file or zoo name')
    parser.add_argument('checkpoint', help='checkpoint path or URL')
    parser.add_argument('images', nargs='+', help='image files or folders')
    parser.add_argument('--out-dir', required=True, help='where PNGs go')
    parser.add_argument('--max-images', type=int, default=16,
                        help='draw at most this many images (default 16)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    return parser.parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    written = draw_attention(args.config, args.checkpoint, args.images,
                             args.out_dir, args.max_images, args.batch_size,
                             args.cfg_options)
    for path in written:
        print(path)
    return written


if __name__ == '__main__':
    main()
