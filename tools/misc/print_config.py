"""Print a config with its bases and overrides resolved.

    python tools/misc/print_config.py CONFIG [--cfg-options key=value ...]
"""
import argparse

from mmengine.config import Config, DictAction


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Print the full config')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_dataloader.batch_size=32')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    print(cfg.pretty_text)


if __name__ == '__main__':
    main()
