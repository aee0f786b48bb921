"""ImageNet-ReaL accuracy (Beyer et al., 2020, "Are we done with
ImageNet?"): the ImageNet validation images scored against their
reassessed labels."""
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Union

from mmengine.evaluator import BaseMetric

from mmdeit.registry import METRICS

# ImageNet validation files are ILSVRC2012_val_00000001.JPEG ... 00050000.
_VAL_FILE = re.compile(r'ILSVRC2012_val_(\d{8})')


def read_real_labels(path: str) -> List[List[int]]:
    """``real.json`` of google-research/reassessed-imagenet: one list of
    class indices per validation image, in file-name order (empty where the
    raters kept no label)."""
    with open(path) as f:
        labels = json.load(f)
    if not isinstance(labels, list) or not all(
            isinstance(row, list) and all(isinstance(k, int) for k in row)
            for row in labels):
        raise ValueError(f'{path}: expected a JSON list of lists of class '
                         'indices (ImageNet-ReaL real.json)')
    return labels


def validation_index(img_path: str) -> int:
    """0 for ``.../ILSVRC2012_val_00000001.JPEG`` (any extension)."""
    found = _VAL_FILE.search(osp.basename(img_path))
    if found is None:
        raise ValueError(
            f'ImageNet-ReaL labels are given per ImageNet validation file '
            f'(ILSVRC2012_val_XXXXXXXX.JPEG); cannot place {img_path!r}')
    return int(found.group(1)) - 1


def real_hits(top: Sequence[int], labels: Sequence[int],
              topk: Sequence[int]) -> Dict[int, bool]:
    """For each k: is any of the k best classes ``top`` among ``labels``."""
    return {k: any(c in labels for c in top[:k]) for k in topk}


@METRICS.register_module()
class ReaLAccuracy(BaseMetric):
    """Top-k accuracy against the ImageNet-ReaL labels, in percent:
    ``real/top1``, ``real/top5``...

    A prediction is right when any of its k best classes is one of the
    image's ReaL labels; images without any ReaL label are left out of both
    the count of right predictions and the number of images, as the paper
    and timm (``RealLabelsImagenet``) do.

    Args:
        real_json: path of ``real.json``.
        topk: the k values.
        collect_device: 'cpu' or 'gpu', where results gather across ranks.
        prefix: name prefix, 'real' by default.

    Reads ``pred_score`` (K, ) and ``img_path`` of each data sample: the
    file name says which validation image it is, so any subset or order of
    the validation set can be evaluated.
    """

    default_prefix = 'real'

    def __init__(self, real_json: str,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not self.topk or min(self.topk) < 1:
            raise ValueError(f'topk must be positive ints, got {topk}')
        self.real_json = real_json
        self.real_labels = read_real_labels(real_json)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'img_path' not in sample:
                raise KeyError('ReaLAccuracy needs the img_path of every '
                               'sample (PackInputs meta_keys)')
            index = validation_index(sample['img_path'])
            if index >= len(self.real_labels):
                raise ValueError(
                    f'{sample["img_path"]} is validation image {index + 1}, '
                    f'but {self.real_json} has labels for '
                    f'{len(self.real_labels)}')
            labels = self.real_labels[index]
            if not labels:
                continue
            score = sample['pred_score']
            # a k beyond the number of classes counts them all
            top = score.topk(min(max(self.topk), score.numel())).indices
            self.results.append(real_hits(top.tolist(), labels, self.topk))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('no evaluated image has a ReaL label')
        return {f'top{k}': 100 * sum(hits[k] for hits in results) /
                len(results) for k in self.topk}
