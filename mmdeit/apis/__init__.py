from mmdeit.models.zoo import (build_model_from_config, config_root,
                               get_model, list_models, load_config,
                               model_info)
from .inference import (ImageClassificationInferencer, class_names,
                        inference_model)
from .onnx_model import OnnxClassifier, export_onnx

__all__ = [
    'get_model', 'list_models', 'model_info', 'load_config',
    'build_model_from_config', 'config_root', 'inference_model',
    'ImageClassificationInferencer', 'class_names', 'OnnxClassifier',
    'export_onnx'
]
