"""LayerScale (Touvron et al., "Going deeper with image transformers"): a
learnt per-channel factor on a residual branch."""
import torch
from torch import nn


class LayerScale(nn.Module):
    """Multiply the last dimension by a learnt vector ``gamma``.

    Args:
        dims: C, the channels.
        init_value: every entry of ``gamma`` at initialisation (DeiT III:
            1e-4), so that a new residual branch starts nearly silent.

    Shapes: (..., C) -> (..., C).
    """

    def __init__(self, dims: int, init_value: float = 1e-4):
        super().__init__()
        self.init_value = init_value
        self.gamma = nn.Parameter(torch.full((dims, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma

    def extra_repr(self) -> str:
        return f'dims={self.gamma.numel()}, init_value={self.init_value:g}'
