"""The commands of README.md and docs/*.md, as a newcomer copies them.

Every fenced block of the pages is read:

- ``shell``/``bash``/``sh``/``console`` blocks are split into commands
  (continued lines joined, comments dropped, the block's variables
  expanded). Every command is **checked**: the script exists; the options
  given (those in ``[...]`` too) parse with the script's own argparse; the
  config files named exist and load; ``--cfg-options`` keys sit under keys
  the config has; ``make`` targets, ``pip`` extras and pytest paths exist.
  A block **runs** as written, with bash, in a scratch folder holding small
  data the test makes (:func:`make_sandbox`): its ``[--option value]``
  groups given, its placeholders (``CONFIG``, ``CHECKPOINT``...) replaced by
  the files of :data:`PLACEHOLDER_VALUES`; unless a command has a
  placeholder without a value (``PARTITION``, ``<repo>``, ``[prose]``) or
  matches a rule of :data:`CHECK_ONLY` (ImageNet, the network, a GPU,
  minutes of work).
- ``python`` blocks must parse; their imports, ``mmdeit.<name>``
  attributes and zoo names must exist; a config (``_base_ = ...``) must
  load with mmengine.
- A block showing a metrics table (``| metric | ...``) must be what
  tools/test.py prints for those values.

A new page or command is covered without touching this file; a command
that cannot run here (new data, the network, a long job) gets a rule in
:data:`CHECK_ONLY`. Failures name the page, the line of the block and the
command. ``python tests/test_docs/test_doc_commands.py`` prints what runs
and what is only checked.
"""
import argparse
import ast
import contextlib
import glob
import importlib
import importlib.util
import io
import json
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest

ROOT = Path(__file__).parents[2]
PAGES = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]
SHELL = {'shell', 'bash', 'sh', 'console'}
RUN_TIMEOUT = 900  # seconds for one block; a longer one needs a rule

# Commands that are only checked, never run here: (pattern searched in the
# command, why). The first rule that matches names the reason.
CHECK_ONLY: List[Tuple[str, str]] = [
    (r'^make\b', 'make installs, or runs the demos or the whole suite '
     '(minutes)'),
    (r'^(pip|git|apt-get|apt|dpkg|sudo|cd|tensorboard|wandb)\b',
     'installs or fetches software'),
    (r'https?://', 'needs the network'),
    (r'\b\w+-[0-9a-f]{8}\.pth\b|(^|\s)hf/',
     'reads released weights (the network)'),
    (r'configs/(?!demo/|finetune/fashion_mnist/|_base_/datasets/fashion)',
     'needs ImageNet or a transfer set'),
    (r'\bwork_dirs/deit', 'reads a checkpoint of an ImageNet training'),
    (r'tools/(dist|slurm)_\w+\.sh', 'several processes, or a slurm cluster'),
    (r'gpu_check', 'needs a GPU (its CPU mode runs in '
     'tests/test_tools/test_gpu_check.py)'),
    (r'benchmark|teacher_agreement|precision_agreement|record_teacher',
     'a benchmark or a measurement on a trained model (minutes)'),
    (r'-m pytest', 'a test run (the suite runs those tests)'),
    (r'tools/(demo|transfer_demo)\.py', 'a demo: minutes (their --quick '
     'forms run in tests/test_tools/test_demo.py and test_transfer_demo.py)'),
]
# bash scripts that hand their arguments to a python tool:
# script -> (tool, the tool's arguments from the script's)
WRAPPERS = {
    'tools/dist_train.sh': ('tools/train.py', lambda a: a[:1] + a[2:]),
    'tools/dist_test.sh': ('tools/test.py', lambda a: a[:2] + a[3:]),
    'tools/slurm_train.sh': ('tools/train.py',
                             lambda a: [a[2], '--work-dir', a[3]] + a[4:]),
    'tools/slurm_test.sh': ('tools/test.py', lambda a: a[2:4] + a[4:]),
    'tools/analysis_tools/gpu_check.sh': (
        'tools/analysis_tools/gpu_check.py', lambda a: a),
}
RUNNABLE_PROGRAMS = {'python', 'python3', 'export', 'mkdir', 'ls', 'cat',
                     'echo'}
# An upper-case word stands for a value (CONFIG, CHECKPOINT, N...); <...>
# and [prose] too. A block runs with the values below put in, where each of
# its placeholders has one; the sandbox holds what they name.
PLACEHOLDER = re.compile(r'(?<![\w.$-])[A-Z][A-Z0-9_]*(?![\w])')
PLACEHOLDER_VALUES = {
    'CONFIG':
    'configs/demo/deit-tiny-p7-hard-distilled_1xb128_fashion-mnist.py',
    'CHECKPOINT': 'work_dirs/student/epoch_1.pth',
    'DIR': 'work_dirs/out',
    'N': '16',
}
COMMAND_OUTPUT = '<command output>'


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence
    language: str
    text: str

    @property
    def where(self) -> str:
        return f'{self.page.relative_to(ROOT)}:{self.line}'


@dataclass
class Command:
    block: Block
    text: str  # as written (continued lines joined)
    words: List[str]  # expanded; optional groups' brackets removed
    placeholders: List[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f'{self.block.where}: `{self.text}`'

    @property
    def rule(self) -> Optional[str]:
        """Why it is only checked, or None when it can run."""
        unknown = [p for p in self.placeholders
                   if p not in PLACEHOLDER_VALUES]
        if unknown:
            return f'placeholders {", ".join(unknown)}'
        for pattern, reason in CHECK_ONLY:
            if re.search(pattern, self.text):
                return reason
        if self.words[0] not in RUNNABLE_PROGRAMS:
            return f'{self.words[0]} is not run here'
        return None


def code_blocks(page: Path) -> List[Block]:
    """The fenced blocks of a Markdown page (indented ones in lists too)."""
    blocks, lines = [], page.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r'^(\s*)```(\S*)\s*$', lines[index])
        if opening:
            indent, body = len(opening.group(1)), []
            end = index + 1
            while end < len(lines) and not lines[end].strip().startswith(
                    '```'):
                body.append(lines[end][indent:])
                end += 1
            blocks.append(Block(page, index + 1, opening.group(2).lower(),
                                '\n'.join(body)))
            index = end
        index += 1
    return blocks


def logical_lines(text: str) -> List[str]:
    """Lines with their backslash continuations joined."""
    return text.replace('\\\n', ' ').splitlines()


def script_of(block: Block) -> str:
    """What bash runs: the block, or the ``$ `` lines of a console block
    (the rest is output)."""
    if block.language != 'console':
        return block.text
    kept, continued = [], False
    for line in block.text.splitlines():
        if line.startswith('$ ') or continued:
            kept.append(line[2:] if line.startswith('$ ') else line)
            continued = line.endswith('\\')
    return '\n'.join(kept)


def commands_of(block: Block) -> List[Command]:
    """The commands of a shell block, the block's variables expanded."""
    variables: Dict[str, str] = {}
    commands = []
    for line in logical_lines(script_of(block)):
        for part in re.split(r'\s(?:&&|;)\s', line.strip()):
            if not part or part.startswith('#'):
                continue
            expanded = re.sub(r'\$\((?:[^()]|\([^()]*\))*\)',
                              shlex.quote(COMMAND_OUTPUT), part)
            expanded = re.sub(r'\$\{?(\w+)\}?',
                              lambda m: variables.get(m.group(1), m.group(0)),
                              expanded)
            words = shlex.split(expanded, comments=True)
            if words and words[0] == 'export':
                words = words[1:]
            assigned = [w for w in words if re.match(r'^\w+=', w)]
            if words and len(assigned) == len(words):
                for word in words:
                    name, _, value = word.partition('=')
                    variables[name] = value
                continue
            while words and re.match(r'^\w+=', words[0]):
                words = words[1:]  # an environment for this command only
            if words:
                shown = re.sub(r'\s+#\s.*$', '', part)  # its comment
                commands.append(make_command(block, shown, words))
    return commands


def make_command(block: Block, text: str, words: List[str]) -> Command:
    """``[--opt VALUE]`` groups lose their brackets (they are checked as
    given); ``[prose]`` groups are dropped; placeholders are listed."""
    kept, group, placeholders = [], None, []
    for word in words:
        if group is None and word.startswith('['):
            group, word = [], word[1:]
        if group is not None:
            closes = word.endswith(']')
            group.append(word[:-1] if closes else word)
            if closes:
                if group and group[0].startswith('-'):
                    kept += group
                else:
                    placeholders.append(f'[{" ".join(group)}]')
                group = None
            continue
        kept.append(word)
    for word in kept:
        if word == COMMAND_OUTPUT or word.startswith('<') or \
                word.endswith('>'):
            placeholders.append(word)
        else:
            placeholders += PLACEHOLDER.findall(word)
    return Command(block, ' '.join(text.split()), kept, placeholders)


def shell_blocks() -> List[Block]:
    return [block for page in PAGES for block in code_blocks(page)
            if block.language in SHELL]


def block_mode(block: Block) -> Tuple[bool, str]:
    """(runs, why not) of a shell block: it runs when all its commands can."""
    for command in commands_of(block):
        rule = command.rule
        if rule is not None:
            return False, f'{command.text}: {rule}'
    return True, ''


# Checking a command ------------------------------------------------------

class Parsed(Exception):
    """Raised in place of running a tool once its arguments parsed."""


def parse_with_tool(script: str, args: List[str]) -> Optional[str]:
    """None when ``python script args`` parses with the script's argparse,
    else argparse's message (or the error raised before it parsed)."""
    original = argparse.ArgumentParser.parse_args
    depth = [0]

    def parse_args(parser, *rest, **kwargs):
        depth[0] += 1
        try:
            original(parser, *rest, **kwargs)
        finally:
            depth[0] -= 1
        if depth[0] == 0:
            raise Parsed()

    stderr, argv, path = io.StringIO(), sys.argv, list(sys.path)
    argparse.ArgumentParser.parse_args = parse_args
    sys.argv = [str(ROOT / script), *args]
    sys.path.insert(0, str((ROOT / script).parent))  # as python does
    try:
        with contextlib.redirect_stderr(stderr), \
                contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(ROOT / script), run_name='__main__')
        return 'it ran without parsing any arguments'
    except Parsed:
        return None
    except SystemExit as stop:
        return stderr.getvalue().strip() or f'exit {stop.code}'
    except Exception as error:  # noqa: B902 (an error before parsing)
        return f'{type(error).__name__}: {error}'
    finally:
        argparse.ArgumentParser.parse_args = original
        sys.argv, sys.path[:] = argv, path


def config_problems(words: List[str]) -> List[str]:
    """Config files among ``words`` that are missing or do not load, and
    ``--cfg-options`` keys under no key of the (first) config."""
    from mmengine.config import Config
    problems, loaded = [], None
    for word in words:
        if not (word.startswith('configs/') and word.endswith('.py')) or \
                PLACEHOLDER.search(word):
            continue  # a placeholder is checked where it is filled
        if not (ROOT / word).is_file():
            problems.append(f'no config {word}')
            continue
        try:
            config = Config.fromfile(str(ROOT / word))
        except Exception as error:  # noqa: B902
            problems.append(f'{word} does not load: {error}')
            continue
        loaded = loaded or config.to_dict()
    if loaded is not None and '--cfg-options' in words:
        start = words.index('--cfg-options') + 1
        for option in words[start:]:
            if option.startswith('-'):
                break
            key = option.partition('=')[0]
            parent = key.rpartition('.')[0]
            if parent and not has_key(loaded, parent):
                problems.append(f'--cfg-options {key}: the config has no '
                                f'{parent}')
    return problems


def has_key(config, dotted: str) -> bool:
    node = config
    for part in dotted.split('.'):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def makefile_targets() -> Dict[str, str]:
    """target -> its recipe, from the Makefile."""
    targets, current = {}, None
    for line in (ROOT / 'Makefile').read_text().splitlines():
        match = re.match(r'^([\w.-]+):', line)
        if match:
            current = match.group(1)
            targets[current] = ''
        elif line.startswith('\t') and current:
            targets[current] += line.strip() + '\n'
    return targets


def pip_extras() -> List[str]:
    setup = (ROOT / 'setup.py').read_text()
    extras = setup[setup.index('extras_require'):]
    return re.findall(r"^\s+'([\w-]+)': \[", extras, re.MULTILINE)


def check_command(command: Command) -> List[str]:
    """What is wrong with a command (empty when nothing)."""
    words = command.words
    program, args = words[0], words[1:]
    if program in ('python', 'python3'):
        if args[:2] == ['-m', 'pytest']:
            return pytest_problems(args[2:])
        if not args or args[0].startswith('-'):
            return []  # python -c ...: not a tool
        return tool_problems(args[0], args[1:])
    if program == 'bash' and args:
        if not (ROOT / args[0]).is_file():
            return [f'no script {args[0]}']
        if args[0] in WRAPPERS:
            tool, handed = WRAPPERS[args[0]]
            return tool_problems(tool, handed(args[1:]))
        return []
    if program == 'make':
        targets = makefile_targets()
        problems = []
        for arg in args:
            name, _, value = arg.partition('=')
            if not value and name not in targets:
                problems.append(f'the Makefile has no target {name}')
            elif value:
                recipes = ''.join(targets.get(t, '') for t in args
                                  if '=' not in t)
                tool = re.search(rf'(tools/\S+\.py) \$\({name}\)', recipes)
                if tool is None:
                    problems.append(f'no make target passes {name} to a tool')
                else:
                    problems += tool_problems(tool.group(1),
                                              shlex.split(value))
        return problems
    if program == 'pip' and args[:1] == ['install']:
        extras = re.findall(r'\[([\w,-]+)\]', ' '.join(args))
        known = pip_extras()
        return [f'setup.py has no extra {extra}' for group in extras
                for extra in group.split(',') if extra not in known]
    return []


def tool_problems(script: str, args: List[str]) -> List[str]:
    if not (ROOT / script).is_file():
        return [f'no script {script}']
    problems = config_problems(args)
    message = parse_with_tool(script, args)
    for _ in range(len(args)):
        # a placeholder where a number goes (--max-images N): any number
        number = re.search(r"invalid (?:int|float) value: '([A-Z][A-Z0-9_]*)'",
                           message or '')
        if number is None:
            break
        args = ['1' if arg == number.group(1) else arg for arg in args]
        message = parse_with_tool(script, args)
    if message is not None:
        problems.append(f'{script} does not take these arguments: {message}')
    return problems


def pytest_problems(args: List[str]) -> List[str]:
    problems = []
    for arg in args:
        if arg.startswith('-'):
            continue
        path, _, test = arg.partition('::')
        files = glob.glob(str(ROOT / path))
        if not files:
            problems.append(f'no test file {path}')
        elif test and f'def {test.split("[")[0]}(' not in \
                Path(files[0]).read_text():
            problems.append(f'{path} has no {test}')
    return problems


# Running a block ---------------------------------------------------------

def scalars(steps, epoch_length: int, loss) -> str:
    """mmengine's vis_data/scalars.json lines: training records and one
    validation record per epoch."""
    lines = []
    for step in steps:
        epoch = (step - 1) // epoch_length + 1
        lines.append(dict(lr=1e-3 * (1 - step / 20), loss=loss(step),
                          time=0.2 + 0.01 * step, data_time=0.01,
                          epoch=epoch, iter=step, step=step))
        if step % epoch_length == 0:
            lines.append({'accuracy/top1': 10.0 * epoch, 'step': epoch})
    return ''.join(json.dumps(line) + '\n' for line in lines)


def make_sandbox(folder: Path) -> Path:
    """A working copy of the repository's layout with small data in the
    places the pages' commands read:

    - ``data/fashion_mnist/``: Fashion-MNIST (300 training and 100 test
      images of the 10 classes) as the converter writes it, from its IDX
      files in ``raw/`` as a download leaves them;
    - ``img1.jpg``, ``img2.jpg`` and ``data/val/<class>/``: a few of them;
    - the files the placeholders name (:data:`PLACEHOLDER_VALUES`): random
      weights of CONFIG's student at CHECKPOINT, and of its teacher where
      its config reads them;
    - ``work_dirs/a``: the logs of a run resumed once (two starts), and
      ``work_dirs/b`` of a run started once;
    - ``work_dirs/demo/seed0/{teacher,student,hard}/test_metrics.json``, as
      tools/test.py writes them;
    - ``tools`` and the folders of ``configs``, linked; ``bin/python``
      running this interpreter.
    """
    import cv2
    import torch
    from mmengine.config import Config

    import mmdeit
    from mmdeit.datasets import fashion_mnist
    from tests.helpers.idx_files import IDX_FILES, write_idx
    rng = np.random.default_rng(0)
    data = folder / 'data' / 'fashion_mnist'
    (data / 'raw').mkdir(parents=True)
    for split, count in (('train', 300), ('test', 100)):
        labels = (np.arange(count) % 10).astype(np.uint8)
        images = rng.integers(0, 60, (count, 28, 28), dtype=np.uint8)
        for index, label in enumerate(labels):  # a bright band per class
            images[index, 2 * label:2 * label + 8] += 150
        image_file, label_file = IDX_FILES[split]
        write_idx(data / 'raw' / f'{image_file}.gz', images)
        write_idx(data / 'raw' / f'{label_file}.gz', labels)
    with contextlib.redirect_stdout(io.StringIO()):
        fashion_mnist.convert(str(data / 'raw'), str(data))
    tests = sorted((data / 'test').glob('*.png'))
    for index, path in enumerate(tests[:2], 1):
        cv2.imwrite(str(folder / f'img{index}.jpg'), cv2.imread(str(path)))
    for index, path in enumerate(tests[:6]):
        target = folder / 'data' / 'val' / f'class_{index % 2}' / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())

    torch.manual_seed(0)
    config = Config.fromfile(ROOT / PLACEHOLDER_VALUES['CONFIG'])
    classes = config.test_dataloader.dataset.get('classes')
    weights = {PLACEHOLDER_VALUES['CHECKPOINT']: mmdeit.get_model(
        str(ROOT / PLACEHOLDER_VALUES['CONFIG']))}
    teacher = config.model.get('teacher') or {}
    if isinstance(teacher.get('checkpoint'), str):
        weights[teacher['checkpoint']] = mmdeit.get_model(teacher['cfg'])
    for path, model in weights.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        torch.save(dict(state_dict=model.state_dict(),
                        meta=dict(dataset_meta=dict(classes=classes))),
                   folder / path)

    logs = {('a', '20260101_000000'): range(1, 13),
            ('a', '20260101_010000'): range(9, 21),
            ('b', '20260101_000000'): range(1, 21)}
    for (run, stamp), steps in logs.items():
        log = folder / 'work_dirs' / run / stamp / 'vis_data' / 'scalars.json'
        log.parent.mkdir(parents=True)
        log.write_text(scalars(steps, 4, lambda s: 2.0 / s ** 0.5))
    heads = dict(cls=66.9, dist=66.95, teacher=82.85)
    for run, metrics in (('teacher', {'accuracy/top1': 82.85}),
                         ('student', {'accuracy/top1': 66.7}),
                         ('hard', {'accuracy/top1': 66.8,
                                   'accuracy/teacher_agreement': 70.55,
                                   **{f'accuracy/top1_{head}': value
                                      for head, value in heads.items()}})):
        path = folder / 'work_dirs/demo/seed0' / run / 'test_metrics.json'
        path.parent.mkdir(parents=True, exist_ok=True)
        metrics['accuracy/top5'] = 98.0
        path.write_text(json.dumps(dict(config=f'{run}.py',
                                        checkpoint='epoch_1.pth',
                                        metrics=metrics)))
    (folder / 'tools').symlink_to(ROOT / 'tools')
    (folder / 'configs').mkdir()
    for child in (ROOT / 'configs').iterdir():
        (folder / 'configs' / child.name).symlink_to(child)
    (folder / 'bin').mkdir()
    for name in ('python', 'python3'):
        # a script, not a link: a link would lose the virtual environment
        launcher = folder / 'bin' / name
        launcher.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} '
                            '"$@"\n')
        launcher.chmod(0o755)
    return folder


def filled_script(block: Block) -> str:
    """The block as bash runs it: ``[--option value]`` groups given, each
    placeholder replaced by its value of :data:`PLACEHOLDER_VALUES`."""
    script = re.sub(r'\[(-[^\]]*)\]', r'\1', script_of(block))
    names = '|'.join(sorted(PLACEHOLDER_VALUES, key=len, reverse=True))
    return re.sub(rf'(?<![\w.$-])({names})(?![\w])',
                  lambda m: PLACEHOLDER_VALUES[m.group(1)], script)


def run_block(block: Block, folder: Path) -> subprocess.CompletedProcess:
    """The block's commands with bash in ``folder``, each announced on
    stdout (``+ command``, bash's trace), stopping at the first failure."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1',
               PATH=f'{folder / "bin"}{os.pathsep}{os.environ["PATH"]}')
    return subprocess.run(
        ['bash', '-e', '-x', '-c', filled_script(block)], cwd=folder, env=env,
        text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=RUN_TIMEOUT)


# Python blocks -----------------------------------------------------------

def python_source(text: str) -> str:
    """The code of a block; a doctest-style one without its prompts and
    printed output."""
    if not re.search(r'^>>> ', text, re.MULTILINE):
        return text
    return '\n'.join(line[4:] for line in text.splitlines()
                     if line.startswith(('>>> ', '... ')))


def python_problems(block: Block, scratch: Path) -> List[str]:
    try:
        tree = ast.parse(python_source(block.text))
    except SyntaxError as error:
        return [f'does not parse: {error}']
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                problems += import_problems(alias.name, [])
        elif isinstance(node, ast.ImportFrom) and node.module:
            problems += import_problems(node.module,
                                        [a.name for a in node.names])
        elif isinstance(node, ast.Attribute):
            chain = attribute_chain(node)
            if chain and chain[0] == 'mmdeit':
                problems += import_problems('.'.join(chain[:1]), chain[1:2])
        elif isinstance(node, ast.Call):
            problems += zoo_name_problems(node)
    if any(isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == '_base_'
            for t in node.targets) for node in tree.body):
        problems += config_block_problems(block, scratch)
    return problems


def attribute_chain(node: ast.Attribute) -> List[str]:
    names = []
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    return [node.id, *names] if isinstance(node, ast.Name) else []


def import_problems(module: str, names: List[str]) -> List[str]:
    top = module.split('.')[0]
    if importlib.util.find_spec(top) is None:
        return [f'no module {top} (pip install it, or leave it out)']
    if top != 'mmdeit':
        return []
    try:
        imported = importlib.import_module(module)
    except ImportError as error:
        return [f'import {module}: {error}']
    return [f'{module} has no {name}' for name in names
            if not hasattr(imported, name) and importlib.util.find_spec(
                f'{module}.{name}') is None]


def zoo_name_problems(node: ast.Call) -> List[str]:
    """A zoo name given to get_model/list_models must exist."""
    import mmdeit
    name = node.func.attr if isinstance(node.func, ast.Attribute) else \
        getattr(node.func, 'id', None)
    if name not in ('get_model', 'list_models') or not node.args or \
            not isinstance(node.args[0], ast.Constant) or \
            not isinstance(node.args[0].value, str):
        return []
    value = node.args[0].value
    if name == 'list_models':
        return [] if mmdeit.list_models(value) else \
            [f'list_models({value!r}) lists nothing']
    if value.endswith('.py'):
        return [] if (ROOT / value).is_file() else [f'no config {value}']
    return [] if value in mmdeit.list_models() else \
        [f'no zoo model {value!r}']


def config_block_problems(block: Block, scratch: Path) -> List[str]:
    """Load a config block, written where its ``_base_`` paths point from:
    the repository root for ``configs/...``, a folder of configs for
    ``../<folder>/...``."""
    from mmengine.config import Config
    source = python_source(block.text)
    folder = scratch / 'configs' / 'page' if "'../" in source else scratch
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f'block_{block.line}.py'
    path.write_text(source)
    try:
        Config.fromfile(str(path))
    except Exception as error:  # noqa: B902
        return [f'does not load as a config: {error}']
    return []


# Printed tables ----------------------------------------------------------

def metrics_table_problems(block: Block) -> List[str]:
    """A shown ``| metric | ...`` table must be tools/test.py's table of
    the same values."""
    from mmdeit.evaluation.tables import HEAD_COLUMNS, metrics_table
    if not block.text.lstrip().startswith('|'):
        return ['tools/test.py prints its metrics as a Markdown table '
                '(| metric | value |, a column per head when distilled)']
    rows = [[cell.strip() for cell in line.strip().strip('|').split('|')]
            for line in block.text.strip().splitlines()]
    header = rows[0]
    suffixes = {name: suffix for suffix, name in HEAD_COLUMNS.items()}
    metrics = {}
    for row in rows[2:]:
        for column, cell in zip(header[1:], row[1:]):
            if cell != '-':
                suffix = '' if column == 'value' else suffixes.get(column)
                if suffix is None:
                    return [f'unknown column {column!r}']
                metrics[row[0] + suffix] = float(cell)
    printed = metrics_table(metrics)
    if printed != block.text.strip():
        return [f'tools/test.py prints\n{printed}']
    return []


# The tests ---------------------------------------------------------------

def all_blocks() -> List[Block]:
    return [block for page in PAGES for block in code_blocks(page)]


def test_pages_have_commands():
    blocks = shell_blocks()
    assert len(blocks) > 20 and {b.page.name for b in blocks} >= {
        'README.md', 'training.md', 'conversion.md'}


@pytest.mark.parametrize('block', shell_blocks(), ids=lambda b: b.where)
def test_shell_commands_check(block):
    """Scripts, options, configs and keys of every command exist."""
    problems = [f'{command.where}: {problem}'
                for command in commands_of(block)
                for problem in check_command(command)]
    assert not problems, '\n'.join(problems)


RUN_BLOCKS = [block for block in shell_blocks() if block_mode(block)[0]]


@pytest.fixture(scope='module')
def sandbox(tmp_path_factory) -> Path:
    return make_sandbox(tmp_path_factory.mktemp('sandbox'))


@pytest.mark.parametrize('block', RUN_BLOCKS, ids=lambda b: b.where)
def test_shell_block_runs(block, sandbox, tmp_path):
    """The block as written (placeholders filled), on small data made
    here; each block in a fresh copy of the sandbox."""
    folder = tmp_path / 'sandbox'
    shutil.copytree(sandbox, folder, symlinks=True)
    done = run_block(block, folder)
    if done.returncode != 0:
        traced = [line for line in done.stdout.splitlines()
                  if line.startswith('+ ')]
        failed = traced[-1][2:] if traced else block.text
        pytest.fail(f'{block.where}: `{failed}` failed (exit '
                    f'{done.returncode}):\n{done.stdout[-4000:]}')


@pytest.mark.parametrize(
    'block', [b for b in all_blocks() if b.language == 'python'],
    ids=lambda b: b.where)
def test_python_blocks(block, tmp_path):
    for child in (ROOT / 'configs').iterdir():
        (tmp_path / 'configs').mkdir(exist_ok=True)
        (tmp_path / 'configs' / child.name).symlink_to(child)
    problems = python_problems(block, tmp_path)
    assert not problems, f'{block.where}: ' + '\n'.join(problems)


def shows_metrics(block: Block) -> bool:
    """Whether a block shows tools/test.py's metrics (a table whose first
    column is 'metric')."""
    return bool(re.match(r'^\|?\s*metric\s', block.text.lstrip()))


@pytest.mark.parametrize('block',
                         [b for b in all_blocks() if shows_metrics(b)],
                         ids=lambda b: b.where)
def test_metrics_tables_are_printed_so(block):
    problems = metrics_table_problems(block)
    assert not problems, f'{block.where}: ' + '\n'.join(problems)


def test_sandbox_data_is_what_the_commands_read(sandbox):
    """The converter reads the sandbox's raw files (not the Debian package
    or the network), the logs hold a resumed run, and every placeholder
    names something that is there."""
    folder = sandbox
    for name, value in PLACEHOLDER_VALUES.items():
        if '/' in value:
            assert (folder / value).exists() or name == 'DIR', name
    assert len(list((folder / 'work_dirs' / 'a').iterdir())) == 2
    assert sorted(p.name for p in (folder / 'data' / 'fashion_mnist' /
                                   'raw').iterdir()) == [
        't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz',
        'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']


def summary() -> str:
    """A Markdown table: each shell block, whether it runs, and why not."""
    lines = ['| block | runs | or only checked, because |', '|---|---|---|']
    for block in shell_blocks():
        runs, why = block_mode(block)
        lines.append(f'| {block.where} | {"yes" if runs else "no"} | '
                     f'{why.replace("|", "/")} |')
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.path.insert(0, str(ROOT))
    print(summary())
