"""The repository the tests run in: its root, its tools loaded as modules,
commands run from its root."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Optional, Sequence

ROOT = Path(__file__).parents[2]
DEIT_TINY_CONFIG = ROOT / 'configs/deit/deit-tiny_pt-4xb256_in1k.py'


def load_tool(path: str) -> ModuleType:
    """The script at ``path`` (relative to the repo root, e.g.
    ``'tools/demo.py'``) executed as a fresh module, registered in
    ``sys.modules`` under its file's name (``<name>_tool`` where that name
    belongs to a module of another file)."""
    file = ROOT / path
    if not file.is_file():
        raise FileNotFoundError(f'no tool at {file}')
    name = file.stem
    taken = sys.modules.get(name)
    if taken is not None and getattr(taken, '__file__', None) != str(file):
        name = f'{name}_tool'
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_in_repo(command: Sequence[str], env: Optional[dict] = None,
                timeout: float = 300) -> subprocess.CompletedProcess:
    """``command`` run from the repo root with the repo on PYTHONPATH
    (plus ``env``); stdout and stderr together in ``.stdout``."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run(list(command), cwd=ROOT, env=full_env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)
