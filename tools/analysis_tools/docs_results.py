"""Show a run's tables in the docs exactly as the run wrote them
(``mmdeit.experiments.records``).

    python tools/analysis_tools/docs_results.py [--record RESULTS.json NAME]

With ``--record``, the record a demo wrote (WORK_DIR/results.json of
tools/demo.py or tools/transfer_demo.py) is copied to
docs/results/NAME.json. Then every block

    <!-- results: docs/results/NAME.json -->
    ...
    <!-- end results -->

of README.md and docs/*.md is rendered again from its record with the
current code (tables, command, time, machine, code version), and the pages
that changed are printed. tests/test_experiments/test_records.py fails
when a page differs from its records.
"""
import argparse
import sys

from mmdeit.experiments.records import store, update_pages
from mmdeit.models.zoo import config_root


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Render the results blocks of the docs from records')
    parser.add_argument('--record', nargs=2, metavar=('RESULTS.json', 'NAME'),
                        help='first copy this record to '
                        'docs/results/NAME.json')
    return parser.parse_args(argv)


def main(argv=None) -> list:
    args = parse_args(argv)
    root = str(config_root().parent)
    if args.record:
        try:
            print(f'stored {store(*args.record, root)}')
        except (OSError, ValueError) as error:
            sys.exit(f'docs_results.py: {error}')
    changed = update_pages(root)
    for page in changed:
        print(f'updated {page}')
    return changed


if __name__ == '__main__':
    main()
