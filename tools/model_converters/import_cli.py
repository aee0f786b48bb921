"""The command line the ``*_to_mmdeit.py`` converters share:
``SRC DST.pth [--drop REGEX ...]`` for weights in one layout, written as an
mmdeit checkpoint by :func:`mmdeit.apis.conversion.import_checkpoint`."""
import argparse

from mmdeit.apis.conversion import import_checkpoint
from mmdeit.checkpoint import save_weights


def import_main(layout: str, doc: str, argv=None) -> str:
    """Parse ``argv``, convert SRC (which must be in ``layout``) and write
    DST; returns DST."""
    parser = argparse.ArgumentParser(
        description=doc.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc)
    parser.add_argument('src', help='checkpoint path or URL')
    parser.add_argument('dst', help='output .pth file')
    parser.add_argument(
        '--drop', action='append', default=[], metavar='REGEX',
        help='leave out the keys (in mmdeit names where they have one) that '
        'match, on purpose; repeatable')
    args = parser.parse_args(argv)
    if not args.dst.endswith(('.pth', '.pt')):
        parser.error('DST must be a .pth file (it holds the meta too)')
    checkpoint = import_checkpoint(args.src, layout, args.drop)
    save_weights(checkpoint, args.dst)
    print(f'{args.src} ({layout}) -> {args.dst}: '
          f'{len(checkpoint["state_dict"])} tensors')
    for key in checkpoint['meta'].get('dropped_keys', []):
        print(f'  dropped {key}')
    return args.dst
