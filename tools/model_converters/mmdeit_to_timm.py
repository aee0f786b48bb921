"""Export an mmdeit model in the official DeiT / timm layout.

    python tools/model_converters/mmdeit_to_timm.py CONFIG CKPT OUT

CONFIG: a config file or zoo name; CKPT: its weights in any layout mmdeit
reads (the position embedding is resized to the config's image size).
OUT ending in .pth holds ``{'model': state_dict}`` as the official releases
do; OUT ending in .safetensors holds the bare state dict, as timm publishes
them. Either loads with ``timm.create_model(name, pretrained=True,
pretrained_cfg_overlay=dict(file=OUT))``.
"""
import argparse

from mmdeit.apis import get_model
from mmdeit.checkpoint import save_timm


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file or zoo name')
    parser.add_argument('checkpoint', help='checkpoint path, URL or folder')
    parser.add_argument('out', help='output .pth or .safetensors file')
    args = parser.parse_args(argv)
    if not args.out.endswith(('.pth', '.safetensors')):
        parser.error('OUT must end in .pth or .safetensors')
    model = get_model(args.config, pretrained=args.checkpoint)
    save_timm(model.state_dict(), args.out)
    print(f'{args.checkpoint} -> {args.out}')
    return args.out


if __name__ == '__main__':
    main()
