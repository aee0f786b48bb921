"""Time of one AdamW update of a zoo model: one param group per parameter
(mmengine's default constructor) against the merged groups the DeiT
schedule uses, each as torch's loop, foreach and fused.

    python tools/analysis_tools/benchmark_optimizer.py \
        [deit-small_pt-4xb256_in1k] [--rounds 5] [--steps 5] [--threads 2]
"""
import argparse

from mmdeit.benchmarks.optimizer import IMPLEMENTATIONS, run


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?',
                        default='deit-small_pt-4xb256_in1k',
                        help='zoo name or config file')
    parser.add_argument('--implementations', nargs='+',
                        default=list(IMPLEMENTATIONS),
                        choices=list(IMPLEMENTATIONS))
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--steps', type=int, default=5,
                        help='updates per round')
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args()


def main():
    args = parse_args()
    print(run(args.config, args.implementations, args.rounds, args.steps,
              args.threads))


if __name__ == '__main__':
    main()
