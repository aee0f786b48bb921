"""Markdown tables of test metrics: one run (``tools/test.py``) or several
side by side (``tools/analysis_tools/accuracy_table.py``)."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from .metrics.distillation_accuracy import SCORE_FIELDS

# Metric-name suffix -> column heading.
HEAD_COLUMNS = {suffix: name for suffix, name in zip(
    SCORE_FIELDS.values(),
    ('both heads', 'class token', 'distillation token', 'teacher'))}


def format_value(value) -> str:
    return f'{value:.2f}' if isinstance(value, float) else str(value)


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]],
             align_right_from: int = 1, pad: bool = False) -> str:
    """A Markdown table; columns from ``align_right_from`` on are
    right-aligned (numbers). ``pad``: cells padded to their column's width,
    so that the text lines up as it reads in a terminal."""
    right = [index >= align_right_from for index in range(len(header))]
    widths = [max(3, *(len(str(line[i])) for line in [header, *rows]))
              if pad else 3 for i in range(len(header))]
    rule = [('-' * (width - 1) if pad else '---') + ':' if at_right
            else '-' * width for width, at_right in zip(widths, right)]

    def cells(line):
        if not pad:
            return line
        return [f'{cell:>{width}}' if at_right else f'{cell:<{width}}'
                for cell, width, at_right in zip(line, widths, right)]

    lines = [cells(header), rule, *(cells(row) for row in rows)]
    return '\n'.join('| ' + ' | '.join(line) + ' |' for line in lines)


def split_head(name: str) -> Tuple[str, str]:
    """'accuracy/top1_dist' -> ('accuracy/top1', '_dist'); names without a
    head suffix get ''."""
    for suffix in HEAD_COLUMNS:
        if suffix and name.endswith(suffix):
            return name[:-len(suffix)], suffix
    return name, ''


def metrics_table(metrics: Dict[str, object]) -> str:
    """``| metric | value |``, or for a distilled model (metrics with head
    suffixes) one column per head: both heads, class token, distillation
    token and, with a teacher, teacher."""
    split = {name: split_head(name) for name in metrics}
    suffixes = [s for s in HEAD_COLUMNS if s in {s for _, s in split.values()}]
    if suffixes == ['']:
        return markdown(['metric', 'value'],
                        [[name, format_value(value)]
                         for name, value in metrics.items()])
    rows: Dict[str, Dict[str, str]] = {}
    for name, (base, suffix) in split.items():
        rows.setdefault(base, {})[suffix] = format_value(metrics[name])
    return markdown(['metric'] + [HEAD_COLUMNS[s] for s in suffixes],
                    [[base] + [cells.get(s, '-') for s in suffixes]
                     for base, cells in rows.items()])


# Columns of the comparison table: heading -> metric.
RUN_COLUMNS = {
    'top-1': 'accuracy/top1',
    'class token': 'accuracy/top1_cls',
    'distillation token': 'accuracy/top1_dist',
    'agrees with teacher': 'accuracy/teacher_agreement',
}


def run_name(record: dict, path: str) -> str:
    config = record.get('config')
    return osp.splitext(osp.basename(config))[0] if config else \
        osp.splitext(osp.basename(path))[0]


def runs_table(records: Sequence[dict], names: Optional[Sequence[str]] = None,
               extra: Sequence[str] = ()) -> str:
    """Rows = runs, columns = top-1 as the model predicts (both heads
    averaged for a distilled model), class token alone, distillation token
    alone, top-1 agreement with the teacher, then the metrics in ``extra``.

    Each record is a metrics dict, or ``tools/test.py``'s JSON with a
    ``metrics`` entry. A one-headed model has only its top-1.
    """
    if names is not None and len(names) != len(records):
        raise ValueError(f'{len(names)} names for {len(records)} results')
    columns = dict(RUN_COLUMNS, **{name: name for name in extra})
    rows: List[List[str]] = []
    for index, record in enumerate(records):
        metrics = record.get('metrics', record)
        if 'accuracy/top1' not in metrics:
            raise KeyError(f'result {index} has no accuracy/top1 (metrics: '
                           f'{sorted(metrics)})')
        name = names[index] if names else record.get('name', str(index))
        rows.append([name] + [format_value(metrics[key]) if key in metrics
                              else '-' for key in columns.values()])
    return markdown(['model', *columns], rows)


# Columns of the DeiT papers' robustness table (DeiT Table 5): heading ->
# metric (ImageNetV2's as tools/test.py --v2 names it).
IMAGENET_COLUMNS = {
    'ImageNet top-1': 'accuracy/top1',
    'ReaL top-1': 'real/top1',
    'V2 top-1': 'v2/accuracy/top1',
}


def imagenet_table(name: str, metrics: Dict[str, object]) -> str:
    """One row ``| name | ImageNet top-1 | ReaL top-1 | V2 top-1 |`` of the
    metrics that ``metrics`` has (the others are left out)."""
    columns = {heading: key for heading, key in IMAGENET_COLUMNS.items()
               if key in metrics}
    return markdown(['model', *columns],
                    [[name] + [format_value(metrics[key])
                               for key in columns.values()]])


def read_results(arguments: Sequence[str]) -> List[dict]:
    """The records of ``tools/test.py`` that ``arguments`` name, each
    ``PATH`` or ``NAME=PATH``; a record's ``name`` is NAME, else the stem of
    the config it records (else of its file)."""
    records = []
    for argument in arguments:
        name, path = None, argument
        if '=' in argument and not osp.exists(argument):
            name, path = argument.split('=', 1)
        try:
            with open(path) as f:
                record = json.load(f)
        except (OSError, json.JSONDecodeError) as error:
            raise OSError(f'cannot read {path}: {error}') from error
        if not isinstance(record, dict):
            raise ValueError(f'{path} holds no metrics dict')
        records.append(dict(record, name=name or run_name(record, path)))
    return records
