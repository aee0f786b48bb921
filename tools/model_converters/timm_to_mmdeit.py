"""Convert official DeiT / timm weights to an mmdeit checkpoint.

    python tools/model_converters/timm_to_mmdeit.py SRC DST.pth

SRC: a ``{'model': state_dict}`` .pth (the official releases, e.g.
deit_base_patch16_224-b5f2ef4d.pth), a timm state dict or a timm
.safetensors file. The result is ``{'state_dict': ..., 'meta': ...}`` in
mmdeit's names; a key that would not be used, a missing parameter or a shape
that does not fit stops the conversion with the full list.
"""
from mmdeit.apis.conversion import import_main


def main(argv=None) -> str:
    return import_main('timm', __doc__, argv)


if __name__ == '__main__':
    main()
