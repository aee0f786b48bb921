"""Images per second of the DeiT data pipelines, mmdeit against timm, per
core, stage by stage, with the loader; what each table means is in
:mod:`mmdeit.benchmarks.data_pipeline`. docs/benchmarks.md used::

    apt-get download mate-backgrounds
    dpkg -x mate-backgrounds_*.deb work_dirs/mate
    HOPPER=$(python -c "import matplotlib as m; \\
        print(m.get_data_path() + '/sample_data/grace_hopper.jpg')")
    python tools/analysis_tools/benchmark_pipeline.py work_dirs/photos \\
        --make-photos work_dirs/mate/usr/share/backgrounds/mate/nature \\
        "$HOPPER" --rounds 8 --workers 0 1 2
"""
import argparse

from mmdeit.benchmarks.data_pipeline import PARTS, run


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('folder', help='folder of JPEG photos')
    parser.add_argument('--make-photos', metavar='SRC', nargs='+',
                        help='first fill the folder from the JPEG photos in '
                        'these folders or files')
    parser.add_argument('--config',
                        default='configs/_base_/datasets/'
                        'imagenet_bs64_deit_224.py',
                        help='config whose train/test pipelines are timed')
    parser.add_argument('--rounds', type=int, default=5,
                        help='passes over the files for each pipeline')
    parser.add_argument('--workers', type=int, nargs='*', default=[],
                        help='also time a DataLoader of the training '
                        'pipeline with each of these numbers of workers')
    parser.add_argument('--loader-images', type=int, default=768,
                        help='images per DataLoader measurement')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--parts', nargs='+', default=list(PARTS),
                        choices=PARTS, help='the tables to print')
    return parser.parse_args()


def main():
    args = parse_args()
    run(args.folder, args.make_photos, args.config, args.rounds,
        args.workers, args.loader_images, args.seed, args.parts)


if __name__ == '__main__':
    main()
