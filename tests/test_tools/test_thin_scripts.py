"""tools/ holds scripts, not a second codebase: no script edits sys.path
(they run on the installed package) or imports another script (what two
scripts share lives in the package)."""
import ast
import sys
from pathlib import Path

import pytest

from tests.helpers.repo import ROOT

SCRIPTS = sorted(path.relative_to(ROOT).as_posix()
                 for path in (ROOT / 'tools').rglob('*.py'))
# Benchmark scripts whose logic moves into mmdeit.benchmarks separately;
# each must leave this list once it is thin (the test says so).
NOT_YET_THIN = {
}
SCRIPT_NAMES = {Path(script).stem for script in SCRIPTS}


def problems(script: str) -> list:
    """Each sys.path edit and each import of another script's module."""
    tree = ast.parse((ROOT / script).read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == 'path' and \
                isinstance(node.value, ast.Name) and node.value.id == 'sys':
            found.append(f'line {node.lineno}: sys.path')
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or '']
        found += [f'line {node.lineno}: imports the script {name}'
                  for name in names if name.split('.')[0] in SCRIPT_NAMES]
    return sorted(found, key=lambda text: int(text.split()[1][:-1]))


@pytest.mark.parametrize('script', SCRIPTS)
def test_no_script_edits_sys_path_or_imports_a_script(script):
    found = problems(script)
    if script in NOT_YET_THIN:
        assert found, f'{script} is thin now: take it out of NOT_YET_THIN'
    else:
        assert not found, f'{script}: {found}'


def test_the_check_finds_both_kinds(tmp_path, monkeypatch):
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'bad.py').write_text(
        'import sys\nsys.path.insert(0, "x")\nimport train\n'
        'from mmdeit.apis import get_model\n')
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', tmp_path)
    assert problems('tools/bad.py') == ['line 2: sys.path',
                                        'line 3: imports the script train']
