"""Top-k accuracy."""
import logging
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmdeit.registry import METRICS
from mmdeit.utils.config_errors import ConfigValueError


def topk_accuracy(scores: torch.Tensor, labels: torch.Tensor,
                  topk: Sequence[int]) -> List[float]:
    """Percentage of samples whose label is among their k best scores, for
    each k.

    Args:
        scores: (N, K) class scores.
        labels: (N, ) class indices.
        topk: the k values; a k >= K counts every sample as correct.

    Returns:
        One accuracy in [0, 100] per k.
    """
    max_k = min(max(topk), scores.shape[1])
    best = scores.topk(max_k, dim=1).indices  # (N, max_k), best first
    hits = best == labels.view(-1, 1)
    return [100 * hits[:, :k].any(dim=1).float().mean().item() for k in topk]


@METRICS.register_module()
class Accuracy(BaseMetric):
    """Top-k accuracy in percent, reported as ``accuracy/top1``,
    ``accuracy/top5``...

    Args:
        topk: the k values.
        collect_device: 'cpu' or 'gpu', where results gather across ranks.
        prefix: name prefix, 'accuracy' by default.

    Reads ``pred_score`` (K, ) and ``gt_label`` (1, ) of each data sample.
    ``scores_of`` picks the score vectors to evaluate and names them; a
    subclass can add more (e.g. the two heads of a distilled model) to get
    one set of accuracies per entry.
    """

    default_prefix = 'accuracy'

    def __init__(self, topk: Union[int, Sequence[int]] = (1, 5),
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not self.topk or not all(
                isinstance(k, int) and not isinstance(k, bool) and k >= 1
                for k in self.topk):
            raise ConfigValueError('topk', topk, 'must be positive ints',
                                   type(self).__name__)

    def scores_of(self, sample: dict) -> Dict[str, torch.Tensor]:
        """Score vectors (K, ) of one sample by metric-name suffix: ''
        gives ``top1``, a suffix ``'_x'`` would give ``top1_x``."""
        return {'': sample['pred_score']}

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            label = sample['gt_label']
            if label.numel() != 1:
                raise ValueError('Accuracy needs one gt_label per sample, '
                                 f'got {label.numel()}')
            self.results.append(dict(
                gt_label=int(label.item()),
                scores={name: score.detach().cpu()
                        for name, score in self.scores_of(sample).items()}))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        labels = torch.tensor([result['gt_label'] for result in results])
        metrics = {}
        for name in results[0]['scores']:
            scores = torch.stack([result['scores'][name]
                                  for result in results])
            if max(self.topk) >= scores.shape[1]:
                print_log(f'top-{max(self.topk)} accuracy of '
                          f'{scores.shape[1]} classes is 100% by definition',
                          logger='current', level=logging.WARNING)
            accuracies = topk_accuracy(scores, labels, self.topk)
            for k, accuracy in zip(self.topk, accuracies):
                metrics[f'top{k}{name}'] = accuracy
        return metrics
