"""tools/analysis_tools/draw_architecture.py reads the layers contract and
writes the picture."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'analysis_tools' / 'draw_architecture.py'


def load_script():
    import importlib.util
    spec = importlib.util.spec_from_file_location('draw_architecture', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layers_read_from_contracts(tmp_path):
    contracts = tmp_path / '.importlinter'
    contracts.write_text('[importlinter]\nroot_package = pkg\n\n'
                         '[importlinter:contract:one]\nname = x\n'
                         'type = layers\nlayers =\n    pkg.top\n'
                         '    pkg.a | pkg.b\n    pkg.low\n')
    rows = load_script().read_layers(contracts)
    assert rows == [['pkg.top'], ['pkg.a', 'pkg.b'], ['pkg.low']]


def test_no_layers_contract_is_refused(tmp_path):
    contracts = tmp_path / '.importlinter'
    contracts.write_text('[importlinter]\nroot_package = pkg\n')
    with pytest.raises(KeyError, match='layers'):
        load_script().read_layers(contracts)


def test_writes_png_from_repo_contracts(tmp_path):
    out = tmp_path / 'architecture.png'
    subprocess.run([sys.executable, str(SCRIPT), '--out', str(out)],
                   cwd=ROOT, check=True)
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_real_imports_found():
    script = load_script()
    edges = script.package_imports('mmdeit', {'mmdeit.apis', 'mmdeit.models',
                                              'mmdeit.registry'})
    assert ('mmdeit.apis', 'mmdeit.models') in edges
    assert ('mmdeit.models', 'mmdeit.apis') not in edges
