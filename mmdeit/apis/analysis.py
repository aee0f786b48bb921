"""Looking inside a trained model given its config and checkpoint: the
confusion matrices of its test set, the attention of its tokens, the
similarity of its class and distillation tokens. What the scripts of
tools/visualization and tools/analysis_tools call, and the demo's figures
(:mod:`mmdeit.experiments.figures`)."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from matplotlib.figure import Figure
from mmengine.config import Config

from mmdeit.evaluation import read_predictions, stack_predictions
from mmdeit.evaluation.metrics.dump_predictions import is_predictions
from mmdeit.models.zoo import get_model, load_config
from mmdeit.visualization import (SimilarityTotals, attention_figure,
                                  attention_maps, attention_rollout,
                                  attention_title, confusion_figure,
                                  find_images, head_matrices, load_batch,
                                  token_rows, true_labels)
from .inference import class_names


def save_figure(fig: Figure, out: str) -> str:
    """Write ``fig`` to ``out`` (its folder made), 100 dpi; returns
    ``out``."""
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=100)
    return out


def config_with(config: str, cfg_options: Optional[dict] = None) -> Config:
    """The config of a file or zoo name, with ``cfg_options`` merged."""
    cfg = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def looks_like_predictions(path: str) -> bool:
    """Whether ``path`` holds the predictions of ``tools/test.py --out-item
    pred`` (rather than a checkpoint)."""
    if not osp.isfile(path):
        return False
    try:
        return is_predictions(torch.load(path, map_location='cpu',
                                         weights_only=True, mmap=True))
    except Exception:  # noqa: BLE001 (a checkpoint that needs trust, etc.)
        return False


@torch.no_grad()
def predict_test_set(model: torch.nn.Module, cfg: Config) -> dict:
    """Every test image's label and per-head scores, as
    ``tools/test.py --out-item pred`` keeps them."""
    from mmengine.runner import Runner

    from mmdeit.utils import register_all_modules
    register_all_modules()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    samples = []
    for data in loader:
        samples += [sample.to_dict() for sample in model.test_step(data)]
    return stack_predictions(samples)


def confusion_matrices(config: str, source: str,
                       cfg_options: Optional[dict] = None
                       ) -> Tuple[Dict[str, torch.Tensor],
                                  Optional[Sequence[str]]]:
    """Confusion matrix per head (title -> (classes, classes) counts) of
    the config's test set, and the class names. ``source``: a checkpoint
    (the test set is evaluated) or kept predictions."""
    cfg = config_with(config, cfg_options)
    if looks_like_predictions(source):
        predictions = read_predictions(source)
        model = get_model(cfg)
    else:
        model = get_model(cfg, pretrained=source)
        predictions = predict_test_set(model, cfg)
    return head_matrices(predictions), class_names(model)


def draw_confusion(config: str, source: str, out: str,
                   include_values: bool = True,
                   cfg_options: Optional[dict] = None
                   ) -> Dict[str, torch.Tensor]:
    """:func:`confusion_matrices` drawn to ``out``; returns the matrices."""
    matrices, classes = confusion_matrices(config, source, cfg_options)
    save_figure(confusion_figure(matrices, classes,
                                 include_values=include_values), out)
    return matrices


def attention_file_name(path: str, written: Sequence[str]) -> str:
    """<stem>_attention.png, or <folder>_<stem>_attention.png when another
    image of the same stem was drawn already (class folders)."""
    stem = osp.splitext(osp.basename(path))[0]
    name = f'{stem}_attention.png'
    if name in {osp.basename(done) for done in written}:
        name = f'{osp.basename(osp.dirname(path))}_{name}'
    return name


def draw_attention(config: str, checkpoint: str, images: Sequence[str],
                   out_dir: str, max_images: int = 16, batch_size: int = 8,
                   cfg_options: Optional[dict] = None) -> List[str]:
    """One figure per image (files or folders) of what the class and
    distillation tokens attend to (:func:`attention_figure`), into
    ``out_dir``; returns the files written."""
    cfg = config_with(config, cfg_options)
    model = get_model(cfg, pretrained=checkpoint)
    classes = class_names(model)
    paths = find_images(images)[:max_images]
    truths = true_labels(cfg, paths, classes)
    os.makedirs(out_dir, exist_ok=True)
    written: List[str] = []
    backbone = model.backbone
    for start in range(0, len(paths), batch_size):
        chunk = paths[start:start + batch_size]
        batch = load_batch(model, chunk)
        with torch.no_grad():
            attention = attention_maps(backbone, batch.inputs)
            predicted = model(batch.inputs).argmax(dim=1)
        grid = tuple(side // patch for side, patch in zip(
            batch.inputs.shape[-2:], backbone.patch_size))
        extra = backbone.num_extra_tokens
        rollouts = token_rows(attention_rollout(attention), extra, grid)
        rows = token_rows(attention, extra, grid)
        for index, path in enumerate(chunk):
            fig = attention_figure(
                batch.images[index], rollouts[index], rows[index],
                title=attention_title(path, int(predicted[index]),
                                      truths[start + index], classes))
            written.append(save_figure(fig, osp.join(
                out_dir, attention_file_name(path, written))))
    return written


def token_similarity(config: str, checkpoint: str, data: Sequence[str],
                     max_images: int = 1000, batch_size: int = 64,
                     cfg_options: Optional[dict] = None) -> dict:
    """Cosine of the class and distillation tokens at each stage of a
    distilled DeiT, and of its two heads' outputs, over the images of
    ``data`` (files or folders): :meth:`SimilarityTotals.result`."""
    model = get_model(config_with(config, cfg_options), pretrained=checkpoint)
    if getattr(model.backbone, 'num_extra_tokens', 1) < 2:
        raise ValueError(f'{config}: the model has no distillation token')
    paths = find_images(data)[:max_images]
    totals = SimilarityTotals()
    for start in range(0, len(paths), batch_size):
        batch = load_batch(model, paths[start:start + batch_size])
        totals.add(model, batch.inputs)
    return totals.result(model)


def format_similarity(result: dict) -> str:
    """:func:`token_similarity` as lines of text: one per stage, then the
    heads."""
    width = max(len(name) for name, _ in result['stages'])
    lines = [f'{"stage":<{width}}  cos(cls, dist)']
    lines += [f'{name:<{width}}  {value:.4f}'
              for name, value in result['stages']]
    lines.append(f'heads: cosine of the softmax outputs '
                 f'{result["heads_cosine"]:.4f}, same top-1 '
                 f'{result["heads_agreement"]:.2f} % of '
                 f'{result["images"]} images')
    return '\n'.join(lines)
