"""Keep every test image's predictions in one file (``tools/test.py
--out-item pred``)."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmdeit.registry import METRICS
from .distillation_accuracy import SCORE_FIELDS


def stack_predictions(samples: Sequence[dict]) -> Dict[str, object]:
    """Per-image records -> one dict of columns.

    Each record holds ``gt_label`` (1, ), ``pred_score`` (K, ) and, from a
    distilled model, ``pred_score_cls`` / ``_dist`` / ``_teacher``; plus
    ``img_path`` and ``sample_idx`` when the pipeline set them. Returns
    ``gt_label`` (N, ) long, each score field (N, K) float, ``img_path``
    (list of N str, when known) and ``sample_idx`` (N, ) long.
    """
    if not samples:
        raise ValueError('no predictions to keep: the test set is empty')
    columns: Dict[str, object] = dict(
        gt_label=torch.cat([s['gt_label'].flatten()[:1] for s in samples]))
    for field in SCORE_FIELDS:
        if field in samples[0]:
            columns[field] = torch.stack([s[field].float() for s in samples])
    if 'img_path' in samples[0]:
        columns['img_path'] = [str(s['img_path']) for s in samples]
    if 'sample_idx' in samples[0]:
        columns['sample_idx'] = torch.tensor(
            [int(s['sample_idx']) for s in samples])
    return columns


def save_predictions(columns: Dict[str, object], path: str) -> None:
    # Tensors, lists and strings only: readable with weights_only=True.
    torch.save(columns, path)


def read_predictions(path: str) -> Dict[str, object]:
    """Read a file that :class:`DumpPredictions` wrote; a clear error for
    any other file."""
    try:
        columns = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # noqa: BLE001 (any unreadable file)
        raise ValueError(f'{path} is not a predictions file of tools/test.py '
                         f'--out-item pred: {error}') from error
    if not is_predictions(columns):
        raise ValueError(f'{path} is not a predictions file of tools/test.py '
                         '--out-item pred (it has no gt_label and pred_score)')
    return columns


def is_predictions(obj) -> bool:
    return isinstance(obj, dict) and {'gt_label', 'pred_score'} <= set(obj)


@METRICS.register_module()
class DumpPredictions(BaseMetric):
    """Write the labels and per-head class scores of every evaluated image
    to ``out_file`` (see :func:`stack_predictions`); reports no metric.

    Gathered across ranks like any metric, in the dataset's order.
    """
    default_prefix = 'predictions'  # names no metric; mmengine wants one

    def __init__(self, out_file: str, collect_device: str = 'cpu'):
        super().__init__(collect_device=collect_device)
        self.out_file = out_file

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        keep = ('gt_label', 'img_path', 'sample_idx', *SCORE_FIELDS)
        for sample in data_samples:
            self.results.append({
                key: value.detach().cpu() if torch.is_tensor(value) else value
                for key, value in sample.items() if key in keep})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        save_predictions(stack_predictions(results), self.out_file)
        return {}
