"""The record of an experiment's run (``results.json``) and the Markdown it
renders to (``results.md``): the tables, how they were made (the command,
the time, the machine, the code) and nothing else, so that the docs can show
exactly what a run wrote.

A page shows a record between two comments; :func:`update_page` rewrites
the text between them from the record with the current code::

    <!-- results: docs/results/demo-seeds-0-2.json -->
    ...
    <!-- end results -->
"""
import datetime
import json
import os
import os.path as osp
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmdeit.utils.machine import machine_summary
from .reuse import code_digests, job_key
from .tables import Row, per_seed_table, seeds_table

BLOCK = re.compile(r'(<!-- results: (\S+) -->\n)(.*?)(<!-- end results -->)',
                   re.S)


def code_state(root: str) -> dict:
    """The git commit of ``root`` (with '+changes' when the tree differs
    from it), where it is a git checkout, and a digest of the package."""
    state = dict(digest=job_key(dict(code=code_digests()))[:12])
    try:
        commit = subprocess.run(
            ['git', 'rev-parse', '--short', 'HEAD'], cwd=root, text=True,
            capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(
            ['git', 'status', '--porcelain', '--untracked-files=no'],
            cwd=root, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return state
    state['commit'] = commit + ('+changes' if dirty.strip() else '')
    return state


def new_record(experiment: str, command: str, title: str,
               rows: Sequence[Row], headings: Sequence[str],
               reference: Optional[str], reference_name: str,
               seeds: Sequence[int], metrics: Dict[str, List[dict]],
               root: str, **extra) -> dict:
    """A record: what ran, its results (the paired t-tests against the
    ``reference`` model, called ``reference_name``), and when, where and on
    which code (``extra``: the experiment's own entries, e.g. its
    times)."""
    return dict(
        experiment=experiment, command=command, title=title,
        rows=[row._asdict() for row in rows], headings=list(headings),
        reference=reference, reference_name=reference_name,
        seeds=list(seeds), metrics=metrics,
        date=datetime.date.today().isoformat(), machine=machine_summary(),
        code=code_state(root), **extra)


def describe_run(record: dict) -> str:
    """The paragraph under the tables: command, what the numbers are, time,
    machine, code."""
    machine, code = record['machine'], record['code']
    seeds = ', '.join(map(str, record['seeds']))
    text = [f'`{record["command"]}`: {record["title"]}, seed(s) {seeds}']
    if len(record['seeds']) > 1:
        text.append('mean ± sample standard deviation over the seeds')
        if record.get('reference'):
            text.append(f'last column: mean top-1 difference to the '
                        f'{record["reference_name"]}, two-sided p of a '
                        'paired t-test')
    if record.get('quick'):
        text.append('--quick: meaningless numbers')
    if record.get('time'):
        text.append(record['time'])
    flags = ', '.join(machine['flags']) or 'none of AVX2/AVX-512/AMX'
    text.append(
        f'{record["date"]}, {machine["cores"]} cores of {machine["cpu"]} '
        f'({flags}), load average {machine["load_average"]} at the start, '
        f'code {code.get("commit", "(no git)")} (package digest '
        f'{code["digest"]})')
    return '; '.join(text) + '.'


def render(record: dict) -> str:
    """The Markdown of a record: the table over the seeds, each seed's
    top-1 (over two seeds or more) and :func:`describe_run`."""
    rows = [Row(**row) for row in record['rows']]
    parts = [seeds_table(rows, record['metrics'], record['headings'],
                         record.get('reference'),
                         record.get('reference_name', ''))]
    if len(record['seeds']) > 1:
        parts.append('Top-1 (both heads) per seed:\n\n' + per_seed_table(
            rows, record['metrics'], record['seeds'], record['headings']))
    parts.append(describe_run(record))
    return '\n\n'.join(parts) + '\n'


def write_results(work_dir: str, record: dict) -> str:
    """``WORK_DIR/results.json`` (the record) and ``results.md`` (its
    rendering, returned)."""
    text = render(record)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(record, f, indent=1)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(text)
    return text


def update_page(text: str, root: str) -> str:
    """``text`` (a Markdown page) with every results block rendered again
    from its record (a path relative to ``root``)."""

    def block(match):
        with open(osp.join(root, match.group(2))) as f:
            record = json.load(f)
        return match.group(1) + render(record) + match.group(4)

    return BLOCK.sub(block, text)


def pages(root: str) -> List[Path]:
    """The pages that may show records: README.md and docs/*.md."""
    return [Path(root, 'README.md'), *sorted(Path(root, 'docs').glob('*.md'))]


def update_pages(root: str) -> List[str]:
    """Render every results block of :func:`pages` again; returns the pages
    that changed."""
    changed = []
    for page in pages(root):
        text = page.read_text()
        updated = update_page(text, root)
        if updated != text:
            page.write_text(updated)
            changed.append(str(page))
    return changed


def store(results: str, name: str, root: str) -> str:
    """Copy a run's ``results.json`` to ``docs/results/NAME.json`` under
    ``root``, where a page's block can show it; returns that path
    (relative to ``root``)."""
    with open(results) as f:
        record = json.load(f)
    if record.get('quick'):
        raise ValueError(f'{results} is a --quick run: its numbers mean '
                         'nothing')
    relative = osp.join('docs', 'results', f'{name}.json')
    os.makedirs(osp.join(root, 'docs', 'results'), exist_ok=True)
    shutil.copyfile(results, osp.join(root, relative))
    return relative
