"""Attention weights of a DeiT backbone, the rows of its class and
distillation tokens, and attention rollout (Abnar & Zuidema, 2020).

The backbone's forward pass keeps its fused attention kernel; while
:func:`record_attention` is active, a forward hook on each requested
block's attention recomputes the weights from the same normalised input.
Nothing is hooked outside the context, so the default path costs nothing.
"""
import contextlib
from typing import Dict, Iterator, Optional, Sequence

import torch
from torch import nn


def _attention_modules(backbone: nn.Module) -> Sequence[nn.Module]:
    layers = getattr(backbone, 'layers', None)
    if layers is None or not all(
            hasattr(getattr(layer, 'attn', None), 'attention_weights')
            for layer in layers):
        raise TypeError(
            f'{type(backbone).__name__} has no transformer layers with '
            'attention weights; give a (Distilled)VisionTransformer')
    return [layer.attn for layer in layers]


@contextlib.contextmanager
def record_attention(backbone: nn.Module,
                     layers: Optional[Sequence[int]] = None
                     ) -> Iterator[Dict[int, torch.Tensor]]:
    """Record the attention weights of ``layers`` (all by default) during
    the forward passes run inside the context.

    Yields a dict, filled as the model runs: layer index -> weights
    (N, heads, L, L) of the last forward pass, L = extra tokens + patches.
    """
    modules = _attention_modules(backbone)
    indices = range(len(modules)) if layers is None else [
        index + len(modules) if index < 0 else index for index in layers]
    for index in indices:
        if not 0 <= index < len(modules):
            raise IndexError(f'layer {index} does not exist; the backbone '
                             f'has {len(modules)} layers')
    weights: Dict[int, torch.Tensor] = {}

    def hook_for(index: int):

        def hook(module, inputs, output):
            weights[index] = module.attention_weights(inputs[0]).detach()

        return hook

    handles = [modules[index].register_forward_hook(hook_for(index))
               for index in indices]
    try:
        yield weights
    finally:
        for handle in handles:
            handle.remove()


@torch.no_grad()
def attention_maps(backbone: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Every layer's attention for normalised ``images`` (N, 3, H, W).

    Returns (N, layers, heads, L, L).
    """
    with record_attention(backbone) as weights:
        backbone(images)
    return torch.stack([weights[index] for index in sorted(weights)], dim=1)


def attention_rollout(attention: torch.Tensor) -> torch.Tensor:
    """Attention rollout: per layer A' = (mean over heads of A + I) / 2 with
    rows renormalised, multiplied from the first layer to the last
    (R = A'_L ... A'_1), so that R[i, j] is how much output token i draws
    on input token j.

    Shapes: (N, layers, heads, L, L) -> (N, L, L).
    """
    mixed = attention.mean(dim=2)
    eye = torch.eye(mixed.shape[-1], dtype=mixed.dtype, device=mixed.device)
    mixed = (mixed + eye) / 2
    mixed = mixed / mixed.sum(dim=-1, keepdim=True)
    rollout = mixed[:, 0]
    for layer in range(1, mixed.shape[1]):
        rollout = mixed[:, layer] @ rollout
    return rollout


def token_rows(attention: torch.Tensor, num_extra_tokens: int,
               grid: Sequence[int]) -> torch.Tensor:
    """The rows of the extra tokens (class, then distillation) over the
    patch grid.

    Shapes: (..., L, L) -> (..., extra tokens, h, w), e.g. weights
    (N, layers, heads, L, L) -> (N, layers, heads, T, h, w), or a rollout
    (N, L, L) -> (N, T, h, w).
    """
    height, width = grid
    if attention.shape[-1] != num_extra_tokens + height * width:
        raise ValueError(
            f'attention over {attention.shape[-1]} tokens does not fit '
            f'{num_extra_tokens} extra tokens and a {height}x{width} grid')
    rows = attention[..., :num_extra_tokens, num_extra_tokens:]
    return rows.reshape(*rows.shape[:-1], height, width)
