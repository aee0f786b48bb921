"""What distillation costs: the teacher's forward in each of its forms, and
the distilled training step against the plain one, with the teacher online
(fp32; 'auto': bf16 where the CPU computes it) or its labels replayed.

    python tools/analysis_tools/benchmark_distill.py \
        [--students deit-small-distilled_pt-4xb256_in1k ...] \
        [--teacher regnety-16gf_in1k] [--teacher-checkpoint PATH_OR_URL] \
        [--batch-size 16] [--img-size 224] [--rounds 3] [--calibrate 32] \
        [--threads N]

Real images (Fashion-MNIST upscaled, Mixup/CutMix); without
``--teacher-checkpoint`` the teacher has random weights given some
structure by ``--calibrate N`` training images (BatchNorm statistics, a
ridge-regression head). Seconds per batch are the median over rounds that
alternate between the contenders (wall, and CPU of this process); ratios
are to the plain step or to the teacher as it was trained. The logic is in
mmdeit/benchmarks/distillation.py.
"""
import argparse

import torch

from mmdeit.benchmarks import distillation as bench

STEP = dict(part='step', wall='wall s', cpu='CPU s', ratio_cpu='x plain (CPU)',
            ratio_wall='x plain (wall)', peak='% fp32 peak')
TEACHER = dict(part='teacher forward', wall='wall s', cpu='CPU s',
               ratio_cpu='x as trained (CPU)',
               ratio_wall='x as trained (wall)', peak='% of peak',
               same='arg-max = fp32', max_error='max rel. logit error',
               close_calls='close calls')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--students', nargs='+', default=[
        'deit-small-distilled_pt-4xb256_in1k',
        'deit-tiny-distilled_pt-4xb256_in1k'])
    parser.add_argument('--teacher', default='regnety-16gf_in1k')
    parser.add_argument('--teacher-checkpoint', default=None)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--calibrate', type=int, default=32, metavar='N')
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    network = bench.teacher_network(args.teacher, args.teacher_checkpoint)
    if args.teacher_checkpoint is None:
        train = bench.FashionMnist('train', args.img_size)
        bench.calibrate(network, [train.batch(args.batch_size) for _ in range(
            max(1, args.calibrate // args.batch_size))])
    test = bench.FashionMnist('test', args.img_size)
    batches = [test.batch(args.batch_size) for _ in range(args.rounds + 1)]
    weights = args.teacher_checkpoint or \
        f'random weights calibrated on {args.calibrate} images'
    print(f'teacher {args.teacher} ({weights}); batch {args.batch_size} at '
          f'{args.img_size} px, Fashion-MNIST, Mixup/CutMix; '
          f'{args.rounds} rounds\n{bench.machine_line()}\n')
    preprocessor = bench.student(args.students[0],
                                 network.head.num_classes).data_preprocessor
    print(bench.format_table(bench.teacher_table(
        network, batches, preprocessor, args.rounds), TEACHER))
    for name in args.students:
        print(f'\n{name}')
        print(bench.format_table(bench.step_table(
            name, network, batches, args.rounds), STEP))
    print(f'\nload average at the end: {bench.load_average()}')


if __name__ == '__main__':
    main()
