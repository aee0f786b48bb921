"""mmdeit: DeiT, the data-efficient image transformers, on mmengine."""
from .apis import (ImageClassificationInferencer, get_model, inference_model,
                   list_models)
from .version import __version__

__all__ = [
    '__version__', 'get_model', 'list_models', 'inference_model',
    'ImageClassificationInferencer'
]
