"""Publish a training checkpoint: keep the weights (the EMA weights when
mmengine's EMAHook was on) and the meta, drop the optimizer, schedulers,
message hub and EMA copy, and name the file after its SHA-256.

    python tools/model_converters/publish_model.py IN OUT.pth

writes OUT-<first 8 hex digits of the SHA-256>.pth atomically (temporary
file, then rename).
"""
import argparse

from mmdeit.checkpoint import publish_checkpoint


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('in_file', help='runner checkpoint')
    parser.add_argument('out_file', help='output name, before the hash')
    args = parser.parse_args(argv)
    path = publish_checkpoint(args.in_file, args.out_file)
    print(path)
    return path


if __name__ == '__main__':
    main()
