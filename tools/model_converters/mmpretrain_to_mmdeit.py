"""Convert an MMPretrain (or mmcls) DeiT checkpoint to an mmdeit checkpoint.

    python tools/model_converters/mmpretrain_to_mmdeit.py SRC DST.pth

SRC: e.g. deit-base_3rdparty_pt-16xb64_in1k_20211124-6f40c188.pth. The
result is ``{'state_dict': ..., 'meta': ...}`` in mmdeit's names; a key that
would not be used, a missing parameter or a shape that does not fit stops
the conversion with the full list.
"""
from mmdeit.apis.conversion import import_main


def main(argv=None) -> str:
    return import_main('mmpretrain', __doc__, argv)


if __name__ == '__main__':
    main()
