"""Where the time of one batch goes: torch.profiler's operators of a zoo
model's inference (or training step), by self CPU time, with the share of
the matrix products.

    python tools/analysis_tools/op_profile.py [CONFIG] [--batch-size 8]
        [--precision fp32|bf16|autocast] [--train] [--rows 15] [--threads N]

``bf16``: the backbone's weights cast once (``get_model(precision='bf16')``);
``autocast``: float32 weights under ``torch.autocast`` (with ``--train``, the
``AutocastOptimWrapper`` step of ``tools/train.py --amp``).
"""
import argparse

import torch

from mmdeit.apis import get_model
from mmdeit.benchmarks.hardware import describe_machine
from mmdeit.benchmarks.profiling import profile_table
from mmdeit.benchmarks.training import mmdeit_step


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?',
                        default='deit-small-distilled_pt-4xb256_in1k',
                        help='zoo name or config path')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--precision', default='fp32',
                        choices=['fp32', 'bf16', 'autocast'])
    parser.add_argument('--train', action='store_true',
                        help='profile a training step (fp32 or autocast)')
    parser.add_argument('--rows', type=int, default=15)
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    if args.train and args.precision == 'bf16':
        parser.error('--train runs fp32 or autocast (bf16 training is the '
                     'autocast optim wrapper)')
    return args


def main(argv=None) -> str:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    autocast = args.precision == 'autocast'
    if args.train:
        step, model = mmdeit_step(
            args.config, torch.bfloat16 if autocast else None)
        images = torch.randint(0, 256, (args.batch_size, 3,
                                        *model.backbone.img_size),
                               dtype=torch.uint8)
        labels = torch.zeros(args.batch_size, dtype=torch.long)
        step(images, labels)  # warm-up

        def run():
            step(images, labels)
    else:
        model = get_model(args.config,
                          precision='bf16' if args.precision == 'bf16'
                          else 'fp32')
        batch = torch.randn(args.batch_size, 3, *model.backbone.img_size)

        def run():
            with torch.inference_mode(), torch.autocast(
                    'cpu', dtype=torch.bfloat16, enabled=autocast):
                model(batch)
        run()  # warm-up
    table = profile_table(run, args.rows)
    print(f'{describe_machine()}\n{args.config}, batch {args.batch_size}, '
          f'{args.precision}{", training step" if args.train else ""}\n'
          f'{table}', flush=True)
    return table


if __name__ == '__main__':
    main()
