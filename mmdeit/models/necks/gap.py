"""Global average pooling between a convolutional backbone and a linear
head."""
from typing import Tuple

import torch
from torch import nn

from mmdeit.registry import MODELS


@MODELS.register_module()
class GlobalAveragePooling(nn.Module):
    """Average every feature map over its spatial positions.

    ``forward``: a tuple of (N, C, H, W) maps -> a tuple of (N, C) vectors.
    """

    def forward(self, inputs: Tuple[torch.Tensor, ...]
                ) -> Tuple[torch.Tensor, ...]:
        return tuple(x.mean(dim=(2, 3)) for x in inputs)
