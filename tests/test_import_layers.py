"""The import-linter contracts of .importlinter (layers point down, models
never import apis or engine, checkpoint knows nothing of mmdeit's models)
hold on the source tree."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports() -> str:
    found = Path(sys.executable).with_name('lint-imports')
    if found.exists():
        return str(found)
    found = shutil.which('lint-imports')
    if found is None:
        pytest.fail('lint-imports not found: pip install import-linter '
                    "(it is in mmdeit's tests extra)")
    return found


def test_import_contracts_hold():
    result = subprocess.run([lint_imports(), '--no-cache'], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
