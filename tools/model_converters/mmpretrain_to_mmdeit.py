"""Convert an MMPretrain (or mmcls) DeiT checkpoint to an mmdeit checkpoint.

    python tools/model_converters/mmpretrain_to_mmdeit.py SRC DST.pth

SRC: e.g. deit-base_3rdparty_pt-16xb64_in1k_20211124-6f40c188.pth. The
result is ``{'state_dict': ..., 'meta': ...}`` in mmdeit's names; a key that
would not be used, a missing parameter or a shape that does not fit stops
the conversion with the full list.
"""
import argparse

from mmdeit.checkpoint.convert import convert_checkpoint
from mmdeit.checkpoint.saving import save_weights

LAYOUT = 'mmpretrain'


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint path or URL')
    parser.add_argument('dst', help='output .pth file')
    parser.add_argument(
        '--drop', action='append', default=[], metavar='REGEX',
        help='leave out the keys (in mmdeit names where they have one) that '
        'match, on purpose; repeatable')
    args = parser.parse_args(argv)
    if not args.dst.endswith(('.pth', '.pt')):
        parser.error('DST must be a .pth file (it holds the meta too)')
    checkpoint = convert_checkpoint(args.src, LAYOUT, args.drop)
    save_weights(checkpoint, args.dst)
    print(f'{args.src} ({LAYOUT}) -> {args.dst}: '
          f'{len(checkpoint["state_dict"])} tensors')
    for key in checkpoint['meta'].get('dropped_keys', []):
        print(f'  dropped {key}')
    return args.dst


if __name__ == '__main__':
    main()
