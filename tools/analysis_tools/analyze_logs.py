"""Training curves and training time from mmengine's scalar logs.

    python tools/analysis_tools/analyze_logs.py plot_curve LOG.json...
        [--keys loss accuracy/top1 lr] [--legend NAME...] [--title T]
        [--window-size 1] --out FIG.png
    python tools/analysis_tools/analyze_logs.py cal_train_time LOG.json...
        [--include-outliers]

LOG.json is WORK_DIR/<timestamp>/vis_data/scalars.json (or the
<timestamp>.json beside it): one JSON record per logged step. Training
records (those with an lr) are plotted against their iteration; validation
records of an epoch-based loop at the last iteration of their epoch. The
logs of one run folder (a resumed run logs into a timestamp folder per
start) are joined into one curve, the later start's records replacing the
iterations it repeated.
"""
import argparse

from mmdeit.apis.analysis import save_figure
from mmdeit.visualization import load_json_log, logs_figure, train_time


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyse training logs')
    commands = parser.add_subparsers(dest='task', required=True)
    plot = commands.add_parser('plot_curve', help='plot scalars')
    plot.add_argument('json_logs', nargs='+', help='vis_data JSON logs')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='scalars to plot, one panel each (default loss)')
    plot.add_argument('--legend', nargs='+',
                      help='one name per run (default: the run folder); '
                      'the logs of one run folder (a resumed run) are one '
                      'curve')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--window-size', type=int, default=1,
                      help='running mean over this many points')
    plot.add_argument('--out', required=True, help='image file to write')
    timing = commands.add_parser('cal_train_time',
                                 help='seconds per iteration')
    timing.add_argument('json_logs', nargs='+', help='vis_data JSON logs')
    timing.add_argument('--include-outliers', action='store_true',
                        help="keep each epoch's first record (it includes "
                        "the loader's start-up)")
    return parser.parse_args(argv)


def plot_curve(args) -> None:
    try:
        fig = logs_figure(args.json_logs, args.legend, args.keys, args.title,
                          args.window_size)
    except ValueError as error:  # e.g. as many legend names as logs
        raise SystemExit(str(error))
    print(f'saved {save_figure(fig, args.out)}')


def cal_train_time(args) -> None:
    for path in args.json_logs:
        stats = train_time(load_json_log(path), args.include_outliers)
        epochs = stats['epochs']
        print(f'-----Analyze train time of {path}-----')
        print(f'slowest epoch {stats["slowest"]}, average time is '
              f'{epochs[stats["slowest"]]:.4f} s/iter')
        print(f'fastest epoch {stats["fastest"]}, average time is '
              f'{epochs[stats["fastest"]]:.4f} s/iter')
        print(f'time std over epochs is {stats["std"]:.4f}')
        print(f'average iter time: {stats["mean"]:.4f} s/iter\n')


def main(argv=None) -> None:
    args = parse_args(argv)
    {'plot_curve': plot_curve, 'cal_train_time': cal_train_time}[args.task](
        args)


if __name__ == '__main__':
    main()
