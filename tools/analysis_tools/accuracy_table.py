"""Gather the results of several runs into one Markdown table, like the
DeiT paper's Table 3: one row per model; top-1 as the model predicts (both
heads averaged for a distilled one), the class token alone, the
distillation token alone, and top-1 agreement with the teacher.

    python tools/analysis_tools/accuracy_table.py RESULT.json...
        [--names NAME...] [--extra accuracy/top5 ...] [--out TABLE.md]

RESULT.json is what ``tools/test.py`` writes (WORK_DIR/test_metrics.json or
``--out``). Rows are named after the configs unless ``--names`` is given.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmdeit.evaluation.tables import run_name, runs_table  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Accuracy table of runs')
    parser.add_argument('results', nargs='+', help="tools/test.py's JSON")
    parser.add_argument('--names', nargs='+', help='one row name per result')
    parser.add_argument('--extra', nargs='+', default=[],
                        help='more metric columns, e.g. accuracy/top5')
    parser.add_argument('--out', help='also write the table to this file')
    return parser.parse_args(argv)


def read_result(path: str) -> dict:
    try:
        with open(path) as f:
            record = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f'cannot read {path}: {error}')
    if not isinstance(record, dict):
        raise SystemExit(f'{path} holds no metrics dict')
    return dict(record, name=run_name(record, path))


def main(argv=None) -> str:
    args = parse_args(argv)
    records = [read_result(path) for path in args.results]
    try:
        table = runs_table(records, args.names, args.extra)
    except (KeyError, ValueError) as error:
        raise SystemExit(f'{error}; results: {args.results}')
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    return table


if __name__ == '__main__':
    main()
