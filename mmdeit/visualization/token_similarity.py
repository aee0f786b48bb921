"""How alike the class and distillation tokens of a distilled DeiT are,
layer by layer, and how alike its two heads' predictions are (the DeiT
paper reports a cosine of 0.06 between the learnt tokens and 0.93 after the
last layer of DeiT-B distilled)."""
import contextlib
from typing import Dict, Iterator, List

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn


@contextlib.contextmanager
def record_tokens(backbone: nn.Module) -> Iterator[Dict[str, torch.Tensor]]:
    """Record the (class, distillation) token pair at each stage of the
    forward passes run inside the context.

    Yields a dict, filled as the model runs: stage name -> (N, 2, C), for
    'input' (tokens with position embedding, entering layer 0),
    'layer i' (output of layer i) and 'final norm'.
    """
    if getattr(backbone, 'num_extra_tokens', 1) < 2:
        raise TypeError(f'{type(backbone).__name__} has no distillation '
                        'token; give a DistilledVisionTransformer')
    tokens: Dict[str, torch.Tensor] = {}

    def keep(name: str, x: torch.Tensor) -> None:
        tokens[name] = x[:, :2].detach()

    handles = [backbone.layers[0].register_forward_pre_hook(
        lambda module, args: keep('input', args[0]))]
    for index, layer in enumerate(backbone.layers):
        handles.append(layer.register_forward_hook(
            lambda module, args, out, name=f'layer {index}': keep(name, out)))
    handles.append(backbone.norm.register_forward_hook(
        lambda module, args, out: keep('final norm', out)))
    try:
        yield tokens
    finally:
        for handle in handles:
            handle.remove()


def learnt_token_cosine(backbone: nn.Module) -> float:
    """Cosine between the learnt class and distillation token parameters."""
    return F.cosine_similarity(backbone.cls_token.flatten(),
                               backbone.dist_token.flatten(), dim=0).item()


class SimilarityTotals:
    """Sums over batches: per stage the cosine of the two tokens; for the
    heads the cosine of their softmax outputs and top-1 agreement."""

    def __init__(self):
        self.stage_sums: Dict[str, float] = {}
        self.head_cosine = 0.
        self.head_agree = 0.
        self.count = 0

    @torch.no_grad()
    def add(self, model: nn.Module, inputs: torch.Tensor) -> None:
        """Run ``model`` (a classifier with a ``DeiTClsHead``) on normalised
        ``inputs`` (N, 3, H, W)."""
        with record_tokens(model.backbone) as tokens:
            feats = model.extract_feat(inputs)
        for stage, pair in tokens.items():
            cosine = F.cosine_similarity(pair[:, 0], pair[:, 1], dim=-1)
            self.stage_sums[stage] = self.stage_sums.get(stage, 0.) + \
                cosine.sum().item()
        cls_logits, dist_logits = model.head.forward_both(feats)
        self.head_cosine += F.cosine_similarity(
            cls_logits.softmax(-1), dist_logits.softmax(-1), dim=-1).sum()
        self.head_agree += (cls_logits.argmax(-1) ==
                            dist_logits.argmax(-1)).sum().item()
        self.count += inputs.shape[0]

    def result(self, model: nn.Module) -> dict:
        """``stages``: [(name, mean cosine)], the learnt tokens first;
        ``heads_cosine`` (mean cosine of the two heads' softmax outputs),
        ``heads_agreement`` (% of images with the same top-1), ``images``."""
        if not self.count:
            raise ValueError('no images were added')
        stages: List = [('learnt tokens',
                         learnt_token_cosine(model.backbone))]
        stages += [(name, total / self.count)
                   for name, total in self.stage_sums.items()]
        return dict(stages=stages,
                    heads_cosine=float(self.head_cosine) / self.count,
                    heads_agreement=100 * self.head_agree / self.count,
                    images=self.count)


def similarity_figure(result: dict, title: str = '') -> Figure:
    """The cosine of the two tokens per stage, with the heads' figures in
    the legend."""
    names = [name for name, _ in result['stages']]
    values = [value for _, value in result['stages']]
    fig = Figure(figsize=(max(5, 0.55 * len(names) + 2), 3.6))
    axis = fig.add_subplot()
    axis.plot(range(len(values)), values, marker='o',
              label='cos(class token, distillation token)')
    axis.axhline(result['heads_cosine'], color='tab:orange', ls='--',
                 label=f'cos of the heads\' softmax: '
                 f'{result["heads_cosine"]:.3f} (same top-1: '
                 f'{result["heads_agreement"]:.1f} %)')
    axis.set_xticks(range(len(names)), names, rotation=45, ha='right',
                    fontsize=8)
    axis.set_ylim(min(-0.05, min(values) - 0.05), 1.05)
    axis.set_ylabel('mean cosine similarity')
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc='lower right')
    axis.set_title(title or f'{result["images"]} images', fontsize=9)
    fig.tight_layout()
    return fig
