"""Training curves and training time from mmengine's scalar logs
(``WORK_DIR/<timestamp>/vis_data/*.json``: one JSON record per line)."""
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure


def load_json_log(path: str) -> Dict[str, List[dict]]:
    """Split a scalars file into 'train' records (those with an ``lr``, as
    mmengine logs them in training) and 'val' records (the others)."""
    records = dict(train=[], val=[])
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f'{path}, line {number}: not JSON '
                                 f'({error.msg})') from error
            records['train' if 'lr' in record else 'val'].append(record)
    if not records['train'] and not records['val']:
        raise ValueError(f'{path} holds no scalar records')
    return records


def run_folder(path: str) -> str:
    """WORK_DIR for WORK_DIR/<timestamp>/vis_data/scalars.json (each start
    of a run, a resumed one included, logs into a timestamp folder of its
    own); the file itself for any other path."""
    parts = osp.abspath(path).split(os.sep)
    if len(parts) >= 4 and parts[-2] == 'vis_data':
        return os.sep.join(parts[:-3])
    return osp.abspath(path)


def runs_of(paths: List[str]) -> Dict[str, List[str]]:
    """The logs grouped by run folder, in the order the runs are first
    named; each run's logs in the order of their timestamps."""
    runs: Dict[str, List[str]] = {}
    for path in paths:
        runs.setdefault(run_folder(path), []).append(path)
    return {folder: sorted(logs) for folder, logs in runs.items()}


def join_logs(logs: Sequence[Dict[str, List[dict]]]
              ) -> Dict[str, List[dict]]:
    """The logs of one run that was resumed (one per start, in order) as
    one log: each start's training records replace those of the earlier
    starts from its first iteration on (a resumed run repeats the
    iterations after its checkpoint), and a validation record replaces an
    earlier one of the same step."""
    joined: Dict[str, List[dict]] = dict(train=[], val=[])
    for log in logs:
        if log['train']:
            first = min(record['step'] for record in log['train'])
            joined['train'] = [record for record in joined['train']
                               if record['step'] < first]
        joined['train'] += log['train']
        steps = {record['step'] for record in log['val']}
        joined['val'] = [record for record in joined['val']
                         if record['step'] not in steps] + log['val']
    return joined


def val_steps(log: Dict[str, List[dict]]) -> List[float]:
    """The training iteration at which each validation record was made.

    An epoch-based loop logs validation with ``step`` = epoch: such a
    record is placed at the last training iteration logged in that epoch.
    """
    last_iter_of_epoch = {}
    for record in log['train']:
        if 'epoch' in record:
            last_iter_of_epoch[record['epoch']] = max(
                record['step'], last_iter_of_epoch.get(record['epoch'], 0))
    by_epoch = bool(last_iter_of_epoch) and all(
        record['step'] in last_iter_of_epoch for record in log['val'])
    return [last_iter_of_epoch[record['step']] if by_epoch
            else record['step'] for record in log['val']]


def series(log: Dict[str, List[dict]], key: str):
    """(iterations, values) of ``key``, from the train records when they
    hold it, else from the val records; None when neither does."""
    for mode in ('train', 'val'):
        records = log[mode]
        if any(key in record for record in records):
            steps = [record['step'] for record in records] \
                if mode == 'train' else val_steps(log)
            points = [(step, record[key])
                      for step, record in zip(steps, records) if key in record]
            return [p[0] for p in points], [p[1] for p in points]
    return None


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Running mean over ``window`` points (the first ones over fewer)."""
    values = np.asarray(values, dtype=float)
    if window <= 1:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.))
    lows = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[lows]) / (np.arange(1, len(values) + 1) - lows)


def curve_figure(logs: Dict[str, Dict[str, List[dict]]], keys: Sequence[str],
                 title: Optional[str] = None, window: int = 1) -> Figure:
    """One panel per key (stacked), one line per log (legend = log name),
    against the training iteration."""
    fig = Figure(figsize=(6.4, 2.3 * len(keys) + 0.4))
    axes = fig.subplots(len(keys), 1, squeeze=False, sharex=True)[:, 0]
    for axis, key in zip(axes, keys):
        drawn = 0
        for name, log in logs.items():
            points = series(log, key)
            if points is None:
                continue
            steps, values = points
            marker = 'o' if len(steps) < 20 else None
            axis.plot(steps, smooth(values, window), marker=marker,
                      label=name)
            drawn += 1
        if not drawn:
            raise KeyError(f'no log holds "{key}"; keys found: '
                           f'{sorted(all_keys(logs))}')
        axis.set_ylabel(key)
        axis.grid(alpha=0.3)
        if key == 'lr':
            axis.ticklabel_format(axis='y', style='sci', scilimits=(0, 0))
        axis.legend(fontsize=7)
    axes[-1].set_xlabel('iteration')
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def all_keys(logs: Dict[str, Dict[str, List[dict]]]) -> set:
    return {key for log in logs.values() for records in log.values()
            for record in records for key in record}


def train_time(log: Dict[str, List[dict]], include_outliers: bool = False
               ) -> dict:
    """Seconds per iteration (the ``time`` scalar), per epoch and overall.

    The first logged record of each epoch is left out unless
    ``include_outliers``: it carries the data loader's start-up.

    Returns dict(epochs={epoch: mean s/iter}, slowest, fastest (epoch
    numbers), std (over the epoch means), mean (s/iter over all records
    kept)).
    """
    per_epoch: Dict[int, List[float]] = {}
    for record in log['train']:
        if 'time' in record:
            per_epoch.setdefault(record.get('epoch', 1), []).append(
                record['time'])
    if not per_epoch:
        raise ValueError('the log has no training "time" records')
    kept = {epoch: times if include_outliers or len(times) == 1 else times[1:]
            for epoch, times in per_epoch.items()}
    means = {epoch: float(np.mean(times)) for epoch, times in kept.items()}
    every = [t for times in kept.values() for t in times]
    return dict(epochs=means, slowest=max(means, key=means.get),
                fastest=min(means, key=means.get),
                std=float(np.std(list(means.values()))),
                mean=float(np.mean(every)) if every else math.nan)


def run_name(path: str) -> str:
    """WORK_DIR/<timestamp>/vis_data/scalars.json -> WORK_DIR's name (else
    the file's stem)."""
    parts = os.path.abspath(path).split(os.sep)
    if len(parts) >= 4 and parts[-2] == 'vis_data':
        return parts[-4]
    return os.path.splitext(os.path.basename(path))[0]


def logs_figure(paths: Sequence[str], names: Optional[Sequence[str]],
                keys: Sequence[str], title: Optional[str] = None,
                window: int = 1) -> Figure:
    """:func:`curve_figure` of the scalar logs at ``paths``, one curve per
    run folder (the logs of a resumed run joined, see :func:`join_logs`),
    named ``names`` (default: the run folders' names; a name taken twice
    gets the folder)."""
    runs = runs_of(list(paths))
    if names is not None and len(names) != len(runs):
        raise ValueError(
            f'{len(names)} legend names for {len(runs)} runs (the logs of '
            f'one run folder are one run): {", ".join(runs)}')
    curves: Dict[str, dict] = {}
    for name, (folder, run_paths) in zip(
            names or [run_name(logs[0]) for logs in runs.values()],
            runs.items()):
        curves[name if name not in curves else f'{name} ({folder})'] = \
            join_logs([load_json_log(path) for path in run_paths])
    return curve_figure(curves, keys, title, window)
