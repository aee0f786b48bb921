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
import os
import os.path as osp
from typing import List

import torch
from mmengine.config import DictAction

from mmdeit.apis import class_names, get_model, load_config
from mmdeit.visualization import (attention_figure, attention_maps,
                                  attention_rollout, attention_title,
                                  find_images, load_batch, token_rows,
                                  true_labels)


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


def out_name(path: str, written: List[str]) -> str:
    """<stem>_attention.png, or <folder>_<stem>_attention.png when another
    image of the same stem was drawn already (class folders)."""
    stem = osp.splitext(osp.basename(path))[0]
    name = f'{stem}_attention.png'
    if name in {osp.basename(done) for done in written}:
        name = f'{osp.basename(osp.dirname(path))}_{name}'
    return name


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = get_model(cfg, pretrained=args.checkpoint)
    classes = class_names(model)
    paths = find_images(args.images)[:args.max_images]
    truths = true_labels(cfg, paths, classes)
    os.makedirs(args.out_dir, exist_ok=True)
    written = []
    backbone = model.backbone
    for start in range(0, len(paths), args.batch_size):
        chunk = paths[start:start + args.batch_size]
        batch = load_batch(model, chunk)
        with torch.no_grad():
            attention = attention_maps(backbone, batch.inputs)
            predicted = model(batch.inputs).argmax(dim=1)
        grid = tuple(side // patch for side, patch in zip(
            batch.inputs.shape[-2:], backbone.patch_size))
        extra = backbone.num_extra_tokens
        rollouts = token_rows(attention_rollout(attention), extra, grid)
        rows = token_rows(attention, extra, grid)
        for index, path in enumerate(chunk):
            fig = attention_figure(
                batch.images[index], rollouts[index], rows[index],
                title=attention_title(path, int(predicted[index]),
                                   truths[start + index], classes))
            out = osp.join(args.out_dir, out_name(path, written))
            fig.savefig(out, dpi=100)
            written.append(out)
            print(out)
    return written


if __name__ == '__main__':
    main()
