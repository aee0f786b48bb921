"""The analysis pictures of a folder of runs laid out as tools/demo.py
writes them (``mmdeit.experiments.figures``).

    python tools/analysis_tools/demo_figures.py RUNS [--out-dir DIR]
        [--student hard] [--images 4] [--similarity-images 500]

Writes to DIR (default RUNS/figures): curves.png (loss and lr of every
run), confusion_<student>.png (per head; from RUNS/<student>/predictions.pth
when tools/test.py kept it with --out-item pred, else evaluated here),
attention/*.png (the distilled student on test images of different
classes), token_similarity.png and accuracy_table.md (every run with test
metrics).
"""
import argparse
from typing import List

from mmdeit.experiments.figures import demo_figures


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Figures of the demo runs')
    parser.add_argument('runs', help='folder holding teacher/, student/, ...')
    parser.add_argument('--out-dir', help='default: RUNS/figures')
    parser.add_argument('--student', default='hard',
                        help='the distilled run to look inside (hard)')
    parser.add_argument('--images', type=int, default=4,
                        help='test images for the attention maps')
    parser.add_argument('--similarity-images', type=int, default=500)
    return parser.parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    written = demo_figures(args.runs, args.out_dir, args.student,
                           args.images, args.similarity_images)
    for path in written:
        print(f'wrote {path}')
    return written


if __name__ == '__main__':
    main()
