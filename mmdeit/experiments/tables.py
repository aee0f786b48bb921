"""The tables of an experiment over seeds: each model's accuracy as mean ±
sample standard deviation, per head for a distilled one, the paired t-test
against a reference model, and each seed's top-1."""
from typing import Dict, List, NamedTuple, Optional, Sequence

from mmdeit.evaluation.tables import markdown
from .statistics import mean_std, paired_t_test

# Results of an experiment: model key -> the test metrics of each seed.
Results = Dict[str, List[Dict[str, float]]]

# Table columns: metric of tools/test.py -> heading.
COLUMNS = {
    'accuracy/top1': 'top-1 (both heads)',
    'accuracy/top1_cls': 'class token',
    'accuracy/top1_dist': 'distillation token',
    'accuracy/teacher_agreement': 'agrees with teacher',
}


class Row(NamedTuple):
    """A model of an experiment: ``key`` in the results, its ``label`` in
    the tables, ``cells`` of the experiment's own columns, and whether it
    has a class token (a DeiT: one-headed, its class token is its
    prediction)."""
    key: str
    label: str
    cells: Sequence[str] = ()
    class_token: bool = True


def metric_cell(runs: Sequence[dict], metric: str, row: Row) -> str:
    values = [run[metric] for run in runs if metric in run]
    if not values and metric == 'accuracy/top1_cls' and row.class_token:
        values = [run['accuracy/top1'] for run in runs]
    return mean_std(values) if values else '-'


def comparison_cell(runs: Sequence[dict], reference: Sequence[dict]) -> str:
    """'+2.82, p = 0.006': the mean top-1 difference to the reference
    model, paired by seed, and the paired t-test's two-sided p."""
    gain, p = paired_t_test([run['accuracy/top1'] for run in runs],
                            [run['accuracy/top1'] for run in reference])
    return f'{gain:+.2f}, p = {p:.3f}'


def seeds_table(rows: Sequence[Row], results: Results,
                headings: Sequence[str] = (),
                reference: Optional[str] = None,
                reference_name: str = '') -> str:
    """Markdown: one line per row, its ``cells`` under ``headings``, then
    :data:`COLUMNS` over the seeds and, over two seeds or more, the
    comparison with the ``reference`` row's model (called
    ``reference_name`` in the heading; by default its label)."""
    by_key = {row.key: row for row in rows}
    compare = reference is not None and len(results[reference]) >= 2
    header = ['model', *headings, *COLUMNS.values()]
    if compare:
        name = reference_name or by_key[reference].label
        header.append(f'vs {name} (paired t-test)')
    lines = []
    for row in rows:
        runs = results[row.key]
        line = [row.label, *row.cells] + [
            metric_cell(runs, metric, row) for metric in COLUMNS]
        if compare:
            line.append('-' if row.key == reference else
                        comparison_cell(runs, results[reference]))
        lines.append(line)
    return markdown(header, lines, align_right_from=1 + len(headings),
                    pad=True)


def per_seed_table(rows: Sequence[Row], results: Results,
                   seeds: Sequence[int], headings: Sequence[str] = ()) -> str:
    """Markdown: each model's top-1 (both heads) per seed."""
    return markdown(['model', *headings, *(f'seed {seed}' for seed in seeds)],
                    [[row.label, *row.cells] +
                     [f'{run["accuracy/top1"]:.2f}'
                      for run in results[row.key]] for row in rows],
                    align_right_from=1 + len(headings), pad=True)
