"""The two-headed DeiT classifier: one head on the class token, one on the
distillation token."""
from typing import Tuple

import torch
from torch import nn

from mmdeit.registry import MODELS
from .cls_head import LinearClsHead


@MODELS.register_module()
class DeiTClsHead(LinearClsHead):
    """Class head ``fc`` and distillation head ``fc_dist``.

    ``forward`` returns the average of the two logits (how a distilled model
    predicts); ``forward_both`` returns the pair, for losses and per-head
    evaluation. Without a teacher, ``loss`` trains the class head only
    (distillation 'none').
    """

    def __init__(self, num_classes: int, in_channels: int, **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        self.fc_dist = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats: Tuple) -> Tuple[torch.Tensor, torch.Tensor]:
        """Last stage's (class token, distillation token), each (N, C)."""
        feat = feats[-1]
        if not isinstance(feat, (tuple, list)) or len(feat) != 2:
            raise TypeError(
                'DeiTClsHead needs (class token, distillation token) from a '
                'DistilledVisionTransformer with out_type="cls_token"')
        return feat[0], feat[1]

    def forward_both(self, feats: Tuple) -> Tuple[torch.Tensor, torch.Tensor]:
        """-> (class-head logits, distillation-head logits), each (N, K)."""
        cls_token, dist_token = self.pre_logits(feats)
        return self.fc(cls_token), self.fc_dist(dist_token)

    def forward(self, feats: Tuple) -> torch.Tensor:
        cls_logits, dist_logits = self.forward_both(feats)
        return (cls_logits + dist_logits) / 2

    def trained_logits(self, feats: Tuple) -> torch.Tensor:
        """The class head's logits (N, K): the labels train it alone."""
        return self.forward_both(feats)[0]
