"""A linear classifier on the class token."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmdeit.registry import MODELS
from mmdeit.utils.config_errors import check_positive_int
from mmdeit.structures import DataSample


def stack_targets(data_samples: Sequence[DataSample]) -> torch.Tensor:
    """The batch's targets: soft scores (N, K) when every sample has
    ``gt_score`` (after Mixup/CutMix), else class indices (N, )."""
    if all('gt_score' in sample for sample in data_samples):
        return torch.stack([sample.gt_score for sample in data_samples])
    return torch.cat([sample.gt_label for sample in data_samples])


@MODELS.register_module()
class LinearClsHead(BaseModule):
    """Linear classification head.

    Args:
        num_classes: K.
        in_channels: C of the backbone (or neck) output.
        loss: config of the loss (default: cross-entropy).
        init_cfg: mmengine initialisation config.

    Reads the last entry of the backbone's output tuple: a class token
    (N, C), or for a distilled backbone the pair (class, distillation) of
    which it takes the class token.
    """

    def __init__(self, num_classes: int, in_channels: int,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = dict(
                     type='TruncNormal', layer='Linear', std=0.02)):
        super().__init__(init_cfg=init_cfg)
        check_positive_int('num_classes', num_classes, type(self).__name__)
        check_positive_int('in_channels', in_channels, type(self).__name__)
        self.num_classes = num_classes
        self.in_channels = in_channels
        loss = dict(type='CrossEntropyLoss') if loss is None else loss
        self.loss_module = MODELS.build(loss) \
            if isinstance(loss, dict) else loss
        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats: Tuple) -> torch.Tensor:
        """Last stage's class token, (N, C)."""
        feat = feats[-1]
        return feat[0] if isinstance(feat, (tuple, list)) else feat

    def forward(self, feats: Tuple) -> torch.Tensor:
        """Backbone outputs -> logits (N, K)."""
        return self.fc(self.pre_logits(feats))

    def trained_logits(self, feats: Tuple) -> torch.Tensor:
        """The logits (N, K) that ``loss`` compares with the labels."""
        return self(feats)

    def loss(self, feats: Tuple, data_samples: List[DataSample]) -> dict:
        logits = self.trained_logits(feats)
        target = stack_targets(data_samples).to(logits.device)
        return dict(loss=self.loss_module(logits, target))

    def predict(self, feats: Tuple,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        return self.logits_to_samples(self(feats), data_samples)

    @staticmethod
    def logits_to_samples(logits: torch.Tensor,
                          data_samples: Optional[List[DataSample]] = None
                          ) -> List[DataSample]:
        """Write softmax scores and arg-max labels into the samples (new ones
        when ``data_samples`` is None)."""
        scores = F.softmax(logits.float(), dim=1).detach()
        labels = scores.argmax(dim=1, keepdim=True)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(logits.shape[0])]
        for sample, score, label in zip(data_samples, scores, labels):
            sample.set_pred_score(score).set_pred_label(label)
        return data_samples
