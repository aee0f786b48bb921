"""Classify images with a zoo model or an exported ONNX file: one image, or
many files in batches."""
from typing import Iterable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.utils import ProgressBar
from torch import nn

from mmdeit.checkpoint import test_pipeline_of
from mmdeit.models.utils import compile_model, inference_compile_options
from mmdeit.models.utils.precision import (resolve_precision,
                                           set_inference_precision)
from mmdeit.models.zoo import get_model
from .onnx_model import OnnxClassifier, is_onnx_file

ImageLike = Union[str, np.ndarray]


def class_names(model: nn.Module) -> Optional[Sequence[str]]:
    """The model's class names: those its weights were trained on
    (``model.dataset_meta``, which :func:`get_model` reads from the
    checkpoint's meta), else its config's dataset's, else the ImageNet-1k
    names for a 1000-way head, else None."""
    classes = (getattr(model, 'dataset_meta', None) or {}).get('classes')
    if classes:
        return classes
    cfg = getattr(model, 'cfg', None)
    if cfg is not None:
        for loader in ('test_dataloader', 'val_dataloader'):
            classes = cfg.get(loader, {}).get('dataset', {}).get('classes')
            if classes:
                return classes
    num_classes = getattr(model, 'num_classes', None) or getattr(
        getattr(model, 'head', None), 'num_classes', None)
    if num_classes == 1000:
        from mmdeit.datasets.categories import IMAGENET_CATEGORIES
        return IMAGENET_CATEGORIES
    return None


class ImageClassificationInferencer:
    """Runs a model's test pipeline and prediction on images.

    Args:
        model: a zoo name, config path, a built model (with ``cfg``, as
            :func:`mmdeit.get_model` returns it), an ONNX file written by
            tools/deployment/pytorch2onnx.py (run by onnxruntime, with the
            test pipeline of the config stored in it) or an
            :class:`OnnxClassifier`.
        pretrained: weights when ``model`` is a name or path (see get_model).
        device: where to run (a PyTorch model).
        compile: True or ``torch.compile`` arguments: compile a PyTorch
            model's backbone and head (see get_model), with inductor's
            ``freezing`` (the weights folded into the graph as constants;
            see :func:`mmdeit.models.utils.inference_compile_options`).
        precision: 'fp32', 'bf16' or 'auto' for a PyTorch model (see
            get_model: bf16 casts the backbone's weights once; images and
            scores stay float32).

    Calling it with images (paths or HxWx3 BGR uint8 arrays) returns one dict
    per image: ``pred_label`` (int), ``pred_score`` (float), ``pred_scores``
    (np.ndarray of shape (num_classes, )) and ``pred_class`` (str: the class
    name, or the label as a string, e.g. ``'3'``, for a model whose class
    names are unknown; see :func:`class_names`).
    """

    def __init__(self, model: Union[str, nn.Module, OnnxClassifier],
                 pretrained: Union[bool, str] = False,
                 device: Optional[str] = None,
                 compile: Union[bool, dict] = False,
                 precision: str = 'fp32'):
        if is_onnx_file(model):
            model = OnnxClassifier(model)
        if isinstance(model, OnnxClassifier):
            if pretrained or compile or device not in (None, 'cpu') \
                    or precision != 'fp32':
                raise ValueError('pretrained, compile, device and precision '
                                 f'do not apply to an ONNX model '
                                 f'({model.path}); it runs on its '
                                 'onnxruntime session in float32')
        elif not isinstance(model, nn.Module):
            model = get_model(model, pretrained=pretrained,
                              device=device or 'cpu',
                              compile=inference_compile_options(compile),
                              precision=precision)
        else:
            if device is not None:
                model = model.to(device)
            device = next(model.parameters()).device
            model = set_inference_precision(
                model, resolve_precision(precision, device))
            model = compile_model(model, inference_compile_options(compile))
        if getattr(model, 'cfg', None) is None:
            raise ValueError('the model has no cfg to take its test pipeline '
                             'from; build it with mmdeit.get_model')
        self.model = model.eval()
        self.classes = class_names(model)
        pipeline = self._test_pipeline(model.cfg)
        self.file_pipeline = Compose(pipeline)
        # Arrays are already decoded: skip the loading step.
        self.array_pipeline = Compose(
            [t for t in pipeline if 'Load' not in t['type']])

    @staticmethod
    def _test_pipeline(cfg) -> List[dict]:
        """The transforms the config evaluates with (its test dataloader's,
        as tools/test.py and the Hugging Face export use them)."""
        from mmdeit.utils import register_all_modules
        register_all_modules()
        pipeline = test_pipeline_of(cfg)
        if pipeline is None:
            raise ValueError('the model\'s config has no test pipeline '
                             '(test_dataloader.dataset.pipeline)')
        return pipeline

    def _prepare(self, image: ImageLike) -> dict:
        if isinstance(image, np.ndarray):
            return self.array_pipeline(dict(
                img=image, img_shape=image.shape[:2],
                ori_shape=image.shape[:2]))
        return self.file_pipeline(dict(img_path=str(image)))

    @torch.no_grad()
    def __call__(self, images: Union[ImageLike, Iterable[ImageLike]],
                 batch_size: int = 8,
                 show_progress: bool = True) -> List[dict]:
        if isinstance(images, (str, np.ndarray)):
            images = [images]
        images = list(images)
        progress = ProgressBar(len(images)) if show_progress else None
        results = []
        for start in range(0, len(images), batch_size):
            chunk = images[start:start + batch_size]
            data = pseudo_collate([self._prepare(img) for img in chunk])
            for sample in self.model.test_step(data):
                results.append(self._to_dict(sample))
                if progress is not None:
                    progress.update()
        if progress is not None:
            # mmengine's bar ends without a newline
            progress.file.write('\n')
            progress.file.flush()
        return results

    def _to_dict(self, sample) -> dict:
        scores = sample.pred_score.float().cpu()
        label = int(sample.pred_label[0])
        name = self.classes[label] if self.classes is not None else str(label)
        return dict(pred_label=label, pred_score=float(scores[label]),
                    pred_scores=scores.numpy(), pred_class=name)


def inference_model(model: Union[str, nn.Module], image: ImageLike,
                    pretrained: Union[bool, str] = False,
                    device: Optional[str] = None) -> dict:
    """Classify one image (a path or an HxWx3 BGR uint8 array) with a model
    or an ONNX file (see :class:`ImageClassificationInferencer`).

    Returns a dict with pred_label, pred_score, pred_scores and pred_class
    (the class name, or the label as a string when names are unknown).
    """
    inferencer = ImageClassificationInferencer(model, pretrained, device)
    return inferencer(image, show_progress=False)[0]
