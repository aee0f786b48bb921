"""The record of an experiment renders to the Markdown the demos print and
the docs show; a page's results blocks are rendered from their records, and
the pages of this repository show exactly their records."""
import json

from mmdeit.experiments import records
from mmdeit.experiments.tables import Row
from tests.helpers.repo import ROOT

ROWS = [Row('student', 'plain student'), Row('hard', 'distilled student')]
METRICS = {'student': [{'accuracy/top1': 80.0}, {'accuracy/top1': 81.0}],
           'hard': [{'accuracy/top1': 83.0, 'accuracy/top1_cls': 82.0,
                     'accuracy/top1_dist': 82.5},
                    {'accuracy/top1': 83.5, 'accuracy/top1_cls': 82.5,
                     'accuracy/top1_dist': 83.0}]}


def record():
    return records.new_record(
        'demo', 'python tools/demo.py --seeds 3 4', 'Fashion-MNIST, top-1 %',
        ROWS, (), 'student', 'plain student', [3, 4], METRICS, root=str(ROOT),
        time='8.4 min in all')


def test_render_states_the_tables_and_how_they_were_made():
    made = record()
    text = records.render(made)
    assert '| plain student ' in text and '+2.75, p = ' in text
    assert '| seed 3 | seed 4 |' in text
    assert '`python tools/demo.py --seeds 3 4`: Fashion-MNIST, top-1 %, ' \
        'seed(s) 3, 4' in text
    assert 'last column: mean top-1 difference to the plain student' in text
    assert '8.4 min in all' in text
    assert f'{made["machine"]["cores"]} cores of {made["machine"]["cpu"]}' \
        in text
    assert made['code']['commit'].split('+')[0] in text
    # the record is JSON and renders the same after a round trip
    assert records.render(json.loads(json.dumps(made))) == text


def test_update_page_renders_each_block_from_its_record(tmp_path):
    made = record()
    (tmp_path / 'docs' / 'results').mkdir(parents=True)
    (tmp_path / 'docs' / 'results' / 'demo.json').write_text(
        json.dumps(made))
    page = ('# Demo\n\nBefore.\n\n<!-- results: docs/results/demo.json -->\n'
            'an old table\n<!-- end results -->\n\nAfter.\n')
    updated = records.update_page(page, str(tmp_path))
    assert updated == page.replace('an old table\n', records.render(made))
    assert records.update_page(updated, str(tmp_path)) == updated


def test_the_pages_show_their_records():
    """README.md and docs/*.md: every results block is what its record
    renders to with this code (python tools/analysis_tools/docs_results.py
    rewrites them)."""
    for page in records.pages(str(ROOT)):
        text = page.read_text()
        assert records.update_page(text, str(ROOT)) == text, page
