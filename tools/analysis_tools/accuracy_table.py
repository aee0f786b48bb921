"""Gather the results of several runs into one Markdown table, like the
DeiT paper's Table 3: one row per model; top-1 as the model predicts (both
heads averaged for a distilled one), the class token alone, the
distillation token alone, and top-1 agreement with the teacher.

    python tools/analysis_tools/accuracy_table.py [NAME=]RESULT.json...
        [--extra accuracy/top5 ...] [--out TABLE.md]

RESULT.json is what ``tools/test.py`` writes (WORK_DIR/test_metrics.json or
``--out``). A row is named after the config the result records, or NAME
where a result is given as NAME=RESULT.json: each name stands beside its
own file, so a shell glob's order cannot mislabel a row.
"""
import argparse

from mmdeit.evaluation.tables import read_results, runs_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Accuracy table of runs')
    parser.add_argument(
        'results', nargs='+', metavar='[NAME=]RESULT.json',
        help="tools/test.py's JSON, optionally named: hard=work_dirs/demo/"
        'seed0/hard/test_metrics.json')
    parser.add_argument('--extra', nargs='+', default=[],
                        help='more metric columns, e.g. accuracy/top5')
    parser.add_argument('--out', help='also write the table to this file')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    try:
        table = runs_table(read_results(args.results), extra=args.extra)
    except (OSError, KeyError, ValueError) as error:
        raise SystemExit(f'accuracy_table.py: {error}')
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    return table


if __name__ == '__main__':
    main()
