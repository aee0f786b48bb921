"""Training and test runs as :class:`.jobs.Task`: ``tools/train.py`` and
``tools/test.py`` on a config with command line options, the resolved
config and the data files it reads recorded for the job's reuse."""
import argparse
import json
import os.path as osp
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from mmdeit.models.zoo import config_root
from .jobs import CheckpointIn, Task
from .reuse import data_digests, flatten

# Training commands skip the configs' end-of-training validation: the test
# command that follows evaluates the same test set.
NO_VALIDATION = ('val_dataloader=None', 'val_cfg=None', 'val_evaluator=None')


def tool(name: str) -> str:
    """The path of ``tools/<name>``: beside the configs of a source
    checkout, or inside the installed package (``.mim``)."""
    path = Path(config_root()).parent / 'tools' / name
    if not path.is_file():
        raise FileNotFoundError(f'no {name} in {path.parent}')
    return str(path)


def parse_options(options: Sequence) -> dict:
    """``key=value`` strings as ``--cfg-options`` reads them (a
    :class:`.jobs.CheckpointIn` as the run whose checkpoint it will be)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={})
    texts = [option.placeholder() if isinstance(option, CheckpointIn)
             else option for option in options]
    return parser.parse_args(['--cfg-options', *texts]).cfg_options \
        if texts else {}


def resolve_config(config: str, options: Sequence) -> Config:
    """The config as a run of it sees it: its ``_base_`` chain and the
    ``options`` merged."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(parse_options(options))
    return cfg


def run_task(name: str, script: str, config: str, arguments: Sequence,
             options: Sequence, log: str, depends: Sequence[str] = ()
             ) -> Task:
    """``python tools/<script> CONFIG ARGUMENTS --cfg-options OPTIONS`` as
    a task, with what its result depends on."""
    cfg = resolve_config(config, options)
    command = [sys.executable, tool(script), config, *arguments]
    if options:
        command += ['--cfg-options', *options]
    epochs = cfg.train_cfg.get('max_epochs', 1) if script == 'train.py' \
        and cfg.get('train_cfg') else 1
    return Task(name, command, log, tuple(depends), epochs,
                config=flatten(cfg.to_dict()), data=data_digests(cfg),
                code=(command[1], ))


def train_task(name: str, config: str, run_dir: str, options: Sequence,
               depends: Sequence[str] = ()) -> Task:
    """Train ``config`` into ``run_dir`` (its log ``train.log``), without
    the end-of-training validation."""
    return run_task(name, 'train.py', config, ['--work-dir', run_dir],
                    [*options, *NO_VALIDATION],
                    osp.join(run_dir, 'train.log'), depends)


def test_task(name: str, config: str, run_dir: str, options: Sequence,
              depends: Sequence[str] = (),
              predictions: Optional[str] = None) -> Task:
    """Test the last checkpoint of ``run_dir`` (tools/test.py writes the
    metrics to ``run_dir/test/test_metrics.json``; its log is
    ``run_dir/test.log``); ``predictions``: also keep every prediction in
    this file."""
    arguments = [CheckpointIn(run_dir), '--work-dir',
                 osp.join(run_dir, 'test')]
    if predictions is not None:
        arguments += ['--out', predictions, '--out-item', 'pred']
    return run_task(name, 'test.py', config, arguments, options,
                    osp.join(run_dir, 'test.log'), depends)


def test_metrics(run_dir: str) -> dict:
    """The record tools/test.py wrote for ``run_dir``'s test task."""
    path = osp.join(run_dir, 'test', 'test_metrics.json')
    with open(path) as f:
        return json.load(f)


def publish_metrics(run_dirs: Sequence[str]) -> Dict[str, dict]:
    """Write each run's test record to ``RUN_DIR/test_metrics.json``, the
    file ``accuracy_table.py RUNS/*/test_metrics.json`` reads; returns
    run dir -> metrics."""
    metrics = {}
    for run_dir in run_dirs:
        record = test_metrics(run_dir)
        with open(osp.join(run_dir, 'test_metrics.json'), 'w') as f:
            json.dump(record, f, indent=2)
        metrics[run_dir] = record['metrics']
    return metrics


def loader_options(data_root: str, seed: int, workers: int,
                   loaders: List[str] = ('train_dataloader',
                                         'test_dataloader')) -> List[str]:
    """``--cfg-options`` that every run of an experiment shares: the seed,
    the data folder and ``workers`` loader processes (0: the run loads its
    data itself)."""
    options = [f'randomness.seed={seed}']
    for loader in loaders:
        options += [f'{loader}.dataset.data_root={data_root}',
                    f'{loader}.num_workers={workers}']
        if workers == 0:
            options.append(f'{loader}.persistent_workers=False')
    return options
