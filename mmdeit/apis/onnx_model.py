"""ONNX export of a classifier, and an onnxruntime session that stands in for
it in :class:`mmdeit.ImageClassificationInferencer`.

The exported graph takes the normalised batch (N, 3, H, W) float32, i.e. what
the data preprocessor produces, and returns logits (N, K): for a distilled
model the average of its two heads, as it predicts; with ``both_heads`` also
the class head's and the distillation head's logits. The batch N is free by
default; a file traced for a fixed batch is run in parts of that batch.

The model's config is stored in the file's metadata as JSON, so that the file
alone carries its test pipeline and normalisation. An ONNX file is data:
reading it runs no Python (files of older exporters, which stored the config
as Python, are read as literals only) and builds registered types only.

onnx and onnxruntime are optional: ``pip install mmdeit[onnx]``.
"""
import warnings
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from mmdeit.registry import MODELS, TRANSFORMS
from mmdeit.utils.stored_config import (check_registered_types,
                                        config_from_json,
                                        config_from_python_literals,
                                        config_to_json)

CONFIG_KEY = 'mmdeit_config_json'
# Exporters before the JSON format stored the config as Python.
LEGACY_CONFIG_KEY = 'mmdeit_config'
INPUT_NAME = 'input'
REEXPORT = ('Re-export it with this version: python tools/deployment/'
            'pytorch2onnx.py CONFIG CHECKPOINT OUT.onnx (or pass cfg= to '
            'OnnxClassifier).')


def _import(name: str):
    try:
        return __import__(name)
    except ImportError as error:
        raise ImportError(f'{name} is needed for ONNX export and inference: '
                          'pip install "mmdeit[onnx]"') from error


class ExportableClassifier(nn.Module):
    """A classifier's ``mode='tensor'`` forward, optionally with both heads.

    Shapes: (N, 3, H, W) -> logits (N, K), or with ``both_heads`` the triple
    (average, class head, distillation head), each (N, K).
    """

    def __init__(self, model: nn.Module, both_heads: bool = False):
        super().__init__()
        if both_heads and not hasattr(model.head, 'forward_both'):
            raise ValueError(f'both_heads needs a distilled model; '
                             f'{type(model.head).__name__} has one head')
        self.model = model
        self.both_heads = both_heads

    def forward(self, inputs: torch.Tensor):
        feats = self.model.extract_feat(inputs)
        if not self.both_heads:
            return self.model.head(feats)
        cls_logits, dist_logits = self.model.head.forward_both(feats)
        return (cls_logits + dist_logits) / 2, cls_logits, dist_logits

    @property
    def output_names(self) -> List[str]:
        return ['logits', 'cls_logits', 'dist_logits'] if self.both_heads \
            else ['logits']


def export_onnx(model: nn.Module, path: str, batch_size: int = 1,
                dynamic_batch: bool = True, both_heads: bool = False,
                opset_version: int = 17) -> List[str]:
    """Write ``model`` (built by :func:`mmdeit.get_model`, with ``cfg``) to
    the ONNX file ``path`` for inputs (N, 3, H, W) at the backbone's
    ``img_size``: N free (``dynamic_batch``, the default), or fixed to
    ``batch_size``, the batch it is traced with.

    Returns the names of the graph's outputs. TypeError names a config
    value that cannot be stored as data.
    """
    onnx = _import('onnx')
    cfg = getattr(model, 'cfg', None)
    stored = None if cfg is None else config_to_json(cfg.to_dict())
    exportable = ExportableClassifier(model, both_heads).eval()
    height, width = model.backbone.img_size
    dummy = torch.randn(batch_size, 3, height, width)
    names = exportable.output_names
    dynamic_axes = {name: {0: 'batch'} for name in [INPUT_NAME, *names]} \
        if dynamic_batch else None
    with warnings.catch_warnings():
        # Shape checks in forward (patch grid, position embedding) become
        # constants of the graph: true for the exported input size.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        # The TorchScript-based exporter: torch's newer one needs onnxscript,
        # a dependency this one does without.
        torch.onnx.export(exportable, (dummy, ), path, dynamo=False,
                          input_names=[INPUT_NAME], output_names=names,
                          dynamic_axes=dynamic_axes,
                          opset_version=opset_version)
    graph = onnx.load(path)
    if stored is not None:
        entry = graph.metadata_props.add()
        entry.key, entry.value = CONFIG_KEY, stored
    onnx.save(graph, path)
    return names


class OnnxClassifier:
    """An onnxruntime session in place of a classifier.

    Args:
        path: an ONNX file written by :func:`export_onnx`.
        cfg: the model's config; default: the one stored in the file.
        providers: onnxruntime execution providers (default: CPU).

    ``model(inputs)`` maps a normalised batch (N, 3, H, W) to the logits
    (N, K), for any N (a file of fixed batch B runs it in parts of B, the
    last one padded); ``test_step(data)`` runs the config's data
    preprocessor first and returns DataSamples with
    ``pred_score``/``pred_label``, as a model's ``test_step`` does.

    The stored config is read as data (see the module's docstring); a
    config that holds code or names unregistered types is refused with
    ``ValueError``.
    """

    def __init__(self, path: str, cfg: Optional[Config] = None,
                 providers: Optional[Sequence[str]] = None):
        ort = _import('onnxruntime')
        self.path = str(path)
        self.session = ort.InferenceSession(
            self.path, providers=list(providers or ['CPUExecutionProvider']))
        self.cfg = cfg if cfg is not None else self._stored_config()
        self.data_preprocessor = self._build_preprocessor(self.cfg)
        self.num_classes = self.session.get_outputs()[0].shape[1]
        batch = self.session.get_inputs()[0].shape[0]
        # None for a free batch (onnxruntime names it, e.g. 'batch')
        self.fixed_batch = batch if isinstance(batch, int) else None

    def _stored_config(self) -> Config:
        meta = self.session.get_modelmeta().custom_metadata_map
        if CONFIG_KEY in meta:
            cfg = config_from_json(meta[CONFIG_KEY], self.path)
        elif LEGACY_CONFIG_KEY in meta:
            cfg = config_from_python_literals(meta[LEGACY_CONFIG_KEY],
                                              self.path, REEXPORT)
        else:
            raise ValueError(f'{self.path} holds no mmdeit config (metadata '
                             f'"{CONFIG_KEY}"); pass cfg=')
        # what inference builds from it: the preprocessor, the pipeline
        model = cfg.get('model') or {}
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        built = {'model.data_preprocessor': model.get('data_preprocessor'),
                 'data_preprocessor': cfg.get('data_preprocessor'),
                 'test_pipeline': cfg.get('test_pipeline'),
                 'test_dataloader.dataset.pipeline': dataset.get('pipeline')}
        for where, part in built.items():
            check_registered_types(part, where, (MODELS, TRANSFORMS),
                                   self.path)
        return Config(cfg)

    @staticmethod
    def _build_preprocessor(cfg: Config) -> nn.Module:
        from mmdeit.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        preprocessor = cfg.model.get('data_preprocessor') \
            or cfg.get('data_preprocessor') or {}
        preprocessor = dict(preprocessor)
        preprocessor.setdefault('type', 'ClsDataPreprocessor')
        return MODELS.build(preprocessor)

    def run(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Normalised batch (N, 3, H, W) -> every output of the graph, by
        name, each (N, K)."""
        array = inputs.detach().cpu().float().contiguous().numpy()
        if not len(array):
            raise ValueError('an empty batch: nothing to run')
        names = [output.name for output in self.session.get_outputs()]
        step = self.fixed_batch or len(array)
        parts = []
        for start in range(0, len(array), step):
            part = array[start:start + step]
            missing = step - len(part)
            if missing:  # pad the last part to the file's batch
                part = np.concatenate([part, np.repeat(part[-1:], missing,
                                                       axis=0)])
            outputs = self.session.run(None, {INPUT_NAME: part})
            parts.append([output[:step - missing] for output in outputs])
        return {name: torch.from_numpy(np.concatenate(
            [outputs[i] for outputs in parts]))
                for i, name in enumerate(names)}

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return next(iter(self.run(inputs).values()))

    def test_step(self, data: dict) -> list:
        from mmdeit.models.heads import LinearClsHead
        data = self.data_preprocessor(data, training=False)
        return LinearClsHead.logits_to_samples(self(data['inputs']),
                                               data.get('data_samples'))

    def eval(self) -> 'OnnxClassifier':
        return self


def max_abs_diff(model: nn.Module, onnx_model: OnnxClassifier,
                 inputs: torch.Tensor,
                 both_heads: bool = False) -> Dict[str, float]:
    """Largest |PyTorch - onnxruntime| per output on ``inputs``."""
    exportable = ExportableClassifier(model, both_heads).eval()
    with torch.no_grad():
        expected = exportable(inputs)
    expected = expected if isinstance(expected, tuple) else (expected, )
    got = onnx_model.run(inputs)
    return {name: (got[name] - value).abs().max().item()
            for name, value in zip(exportable.output_names, expected)}


def is_onnx_file(model: Union[str, object]) -> bool:
    return isinstance(model, str) and model.lower().endswith('.onnx')
