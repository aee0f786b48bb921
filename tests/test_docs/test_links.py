"""Links between the Markdown pages (README.md, docs/*.md) reach a file that
exists and, with an anchor, a heading of that file (GitHub's anchors)."""
import re
from pathlib import Path

import pytest

from tests.helpers.repo import ROOT

PAGES = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]
LINK = re.compile(r'\]\(([^)\s]+)\)')


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def anchors(page: Path) -> set:
    text = re.sub(r'```.*?```', '', page.read_text(), flags=re.S)
    return {anchor(line.lstrip('#')) for line in text.splitlines()
            if re.match(r'#{1,6} ', line)}


def local_links(page: Path):
    for target in LINK.findall(page.read_text()):
        if not re.match(r'[a-z]+:', target):
            yield target


@pytest.mark.parametrize('page', PAGES, ids=lambda page: page.name)
def test_links_reach_their_file_and_heading(page):
    broken = []
    for target in local_links(page):
        path, _, fragment = target.partition('#')
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f'{target} (no file {file})')
        elif fragment and file.suffix == '.md' and \
                fragment not in anchors(file):
            broken.append(f'{target} (no heading "#{fragment}")')
    assert not broken, f'{page.name}: {broken}'


def test_anchor_follows_github():
    assert anchor(' Earliest regime: one epoch of the full training set') \
        == 'earliest-regime-one-epoch-of-the-full-training-set'
    assert anchor('`gpu_check.sh`') == 'gpu_checksh'
    assert anchor('Choices, sized for 28-px grey images and 10 minutes') \
        == 'choices-sized-for-28-px-grey-images-and-10-minutes'


def test_finetune_points_to_the_demo_regime_it_builds_on():
    """The transfer experiment pre-trains with the demo's one-epoch configs,
    which docs/demo.md now describes in a section of its own."""
    text = (ROOT / 'docs/finetune.md').read_text()
    links = [target for target in LINK.findall(text)
             if target.startswith('demo.md')]
    assert 'demo.md#earliest-regime-one-epoch-of-the-full-training-set' \
        in links, links
